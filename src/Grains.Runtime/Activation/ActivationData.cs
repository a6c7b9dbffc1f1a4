using Grains.CodeGeneration;
using Grains.Storage;
using Grains.Timers;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Activation;

/// <summary>
/// One live grain: its instance, its mailbox and its life cycle. A call starts at once when nothing runs, when the
/// class is [Reentrant], or when the method is [AlwaysInterleave]; otherwise it waits in arrival order. All state
/// below is guarded by <see cref="_lock"/>; grain code runs only on <see cref="_executor"/>.
/// </summary>
internal sealed partial class ActivationData : IGrainContext
{
    private readonly object _lock = new();
    private readonly Queue<GrainCall> _waiting = new();
    private readonly List<GrainTimer> _timers = [];
    private readonly List<IActivationStateLoader> _states = [];
    private readonly ActivationExecutor _executor;
    private readonly GrainClassDescriptor _class;
    private readonly ActivationShared _shared;
    private readonly ActivationDirectory _directory;
    private readonly TaskCompletionSource _deactivated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ActivationState _state;
    private int _running;
    private int _waitingInterleavable;
    private DeactivationReason? _deactivationRequest;
    private long _lastActivity;
    private Grain? _grain;
    private AsyncServiceScope _scope;

    public ActivationData(GrainId grainId, GrainClassDescriptor grainClass, ActivationShared shared, ActivationDirectory directory)
    {
        GrainId = grainId;
        _class = grainClass;
        _shared = shared;
        _directory = directory;
        _executor = new ActivationExecutor(this);
        _lastActivity = shared.Time.GetTimestamp();
    }

    public GrainId GrainId { get; }

    public IGrainFactory GrainFactory => _shared.GrainFactory;

    public IServiceProvider ActivationServices => _scope.ServiceProvider;

    /// <summary>Completes when the activation has run its deactivation hook and left the directory.</summary>
    public Task Deactivated => _deactivated.Task;

    internal ActivationState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Accepts a call, or returns false when the activation has already ended (the caller routes it again).</summary>
    public bool TryEnqueue(GrainCall call)
    {
        var activate = false;
        var start = false;
        lock (_lock)
        {
            switch (_state)
            {
                case ActivationState.Invalid:
                    return false;
                case ActivationState.Created:
                    _state = ActivationState.Activating;
                    activate = true;
                    Wait(call);
                    break;
                case ActivationState.Valid when _deactivationRequest is null && CanStart(call):
                    _running++;
                    start = true;
                    break;
                default:
                    Wait(call);
                    break;
            }

            if (CountsAsActivity(call))
            {
                _lastActivity = _shared.Time.GetTimestamp();
            }
        }

        if (activate)
        {
            _executor.Post(static state => _ = ((ActivationData)state!).ActivateAsync(), this);
        }
        else if (start)
        {
            _executor.PostCall(call);
        }

        return true;
    }

    public void Deactivate(DeactivationReason reason)
    {
        var begin = false;
        lock (_lock)
        {
            if (_deactivationRequest is not null || _state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                return;
            }

            _deactivationRequest = reason;
            if (_state == ActivationState.Valid && _running == 0)
            {
                _state = ActivationState.Deactivating;
                begin = true;
            }
        }

        if (begin)
        {
            BeginDeactivation(reason);
        }
    }

    /// <summary>Starts idle collection when nothing has happened since <paramref name="idleSinceTimestamp"/>.</summary>
    public bool TryCollectIfIdle(long idleSinceTimestamp)
    {
        lock (_lock)
        {
            if (_state != ActivationState.Valid || _running > 0 || _waiting.Count > 0 || _lastActivity > idleSinceTimestamp)
            {
                return false;
            }
        }

        Deactivate(new DeactivationReason(DeactivationReasonCode.IdleCollection, "The activation was idle longer than the collection age."));
        return true;
    }

    public IGrainTimer RegisterTimer(Func<object?, CancellationToken, Task> callback, object? state, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new GrainTimer(this, _shared.Time, callback, state, options);
        lock (_lock)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                throw new InvalidOperationException($"Grain {GrainId} is deactivating and cannot register new timers.");
            }

            _timers.Add(timer);
        }

        timer.Start();
        return timer;
    }

    internal void RemoveTimer(GrainTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    internal void AddStateLoader(IActivationStateLoader loader) => _states.Add(loader);

    /// <summary>Runs on the executor: starts the grain method and finishes the call when it completes.</summary>
    internal void RunCall(GrainCall call)
    {
        ValueTask<Exception?> execution;
        try
        {
            execution = call.ExecuteAsync(_grain!);
        }
        catch (Exception exception)
        {
            execution = new ValueTask<Exception?>(exception);
        }

        if (execution.IsCompleted)
        {
            OnCallFinished(call, execution.Result);
        }
        else
        {
            _ = AwaitCallAsync(call, execution);
        }
    }

    private async Task AwaitCallAsync(GrainCall call, ValueTask<Exception?> execution)
    {
        // Resumes on the executor (the captured SynchronizationContext), so the bookkeeping below is a turn too.
        var exception = await execution;
        OnCallFinished(call, exception);
    }

    private void OnCallFinished(GrainCall call, Exception? exception)
    {
        if (exception is not null)
        {
            OnCallFailed(call, exception);
        }

        List<GrainCall>? toStart = null;
        DeactivationReason? deactivate = null;
        lock (_lock)
        {
            _running--;
            if (CountsAsActivity(call))
            {
                _lastActivity = _shared.Time.GetTimestamp();
            }

            if (_deactivationRequest is { } request)
            {
                if (_running == 0 && _state == ActivationState.Valid)
                {
                    _state = ActivationState.Deactivating;
                    deactivate = request;
                }
            }
            else
            {
                toStart = DequeueStartable();
            }
        }

        call.Complete();
        if (deactivate is { } reason)
        {
            BeginDeactivation(reason);
        }

        StartAll(toStart);
    }

    private void OnCallFailed(GrainCall call, Exception exception)
    {
        if (exception is InconsistentStateException)
        {
            Deactivate(new DeactivationReason(DeactivationReasonCode.InconsistentState, "A storage write found the stored state changed (ETag conflict)."));
        }

        if (call is TimerTickCall)
        {
            LogTimerFailed(_shared.Logger, exception, GrainId);
        }
        else if (call.Method.IsOneWay)
        {
            LogOneWayCallFailed(_shared.Logger, exception, call.Method.DisplayName, GrainId);
        }
    }

    internal void OnWorkItemFailed(Exception exception) => LogWorkItemFailed(_shared.Logger, exception, GrainId);

    // Must hold _lock.
    private bool CanStart(GrainCall call) => _running == 0 || _class.IsReentrant || call.Method.AlwaysInterleave;

    // Must hold _lock.
    private void Wait(GrainCall call)
    {
        _waiting.Enqueue(call);
        if (call.Method.AlwaysInterleave)
        {
            _waitingInterleavable++;
        }
    }

    // Must hold _lock. Starts waiting calls in arrival order as far as they may start; interleaving calls further
    // back (queued while activating) start too, rather than wait behind a call that cannot.
    private List<GrainCall>? DequeueStartable()
    {
        List<GrainCall>? toStart = null;
        while (_waiting.Count > 0 && CanStart(_waiting.Peek()))
        {
            var call = _waiting.Dequeue();
            _waitingInterleavable -= call.Method.AlwaysInterleave ? 1 : 0;
            _running++;
            (toStart ??= []).Add(call);
        }

        if (_waitingInterleavable > 0)
        {
            for (var remaining = _waiting.Count; remaining > 0; remaining--)
            {
                var call = _waiting.Dequeue();
                if (call.Method.AlwaysInterleave)
                {
                    _waitingInterleavable--;
                    _running++;
                    (toStart ??= []).Add(call);
                }
                else
                {
                    _waiting.Enqueue(call);
                }
            }
        }

        return toStart;
    }

    // Must hold _lock.
    private GrainCall[] TakeAllWaiting()
    {
        GrainCall[] waiting = [.. _waiting];
        _waiting.Clear();
        _waitingInterleavable = 0;
        return waiting;
    }

    private void StartAll(List<GrainCall>? calls)
    {
        if (calls is null)
        {
            return;
        }

        foreach (var call in calls)
        {
            _executor.PostCall(call);
        }
    }

    private static bool CountsAsActivity(GrainCall call) => call is not TimerTickCall tick || tick.KeepAlive;
}
