using Grains.CodeGeneration;
using Grains.Storage;
using Grains.Timers;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Activation;

/// <summary>
/// One live grain: its instance, its mailbox and its life cycle. Callers only enqueue; the activation's executor
/// admits each call: it runs at once when nothing runs, when the class is [Reentrant] or when the method is
/// [AlwaysInterleave], and otherwise waits (parked) in arrival order. Fields marked "executor" are touched only on
/// the executor, so the hot path takes no lock.
/// </summary>
internal sealed partial class ActivationData : IGrainContext
{
    private readonly ActivationExecutor _executor;
    private readonly GrainClassDescriptor _class;
    private readonly ActivationShared _shared;
    private readonly ActivationDirectory _directory;
    private readonly TaskCompletionSource _deactivated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _scopeDisposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IActivationStateLoader> _states = [];
    private readonly List<GrainTimer> _timers = [];

    // Executor.
    private readonly Queue<GrainCall> _parked = new();
    private int _parkedInterleavable;

    // Executor: calls refused since the parked queue last filled up (see Shed); logged when it fills and when it drains.
    private long _shedCalls;
    private int _running;
    private DeactivationReason? _deactivationRequest;
    private Grain? _grain;
    private AsyncServiceScope _scope;
    private Exception? _activationFailure;
    private List<TaskCompletionSource>? _quietWaiters;

    // Written on the executor (and once by the caller that starts the activation); read anywhere.
    private int _state;
    private long _lastActivity;
    private long _keepActiveUntil;

    public ActivationData(GrainId grainId, GrainClassDescriptor grainClass, ActivationShared shared, ActivationDirectory directory)
    {
        GrainId = grainId;
        _class = grainClass;
        _shared = shared;
        _directory = directory;
        _executor = new ActivationExecutor(this);
        _lastActivity = shared.Time.GetTimestamp();
        StorageFence = new StorageFence(grainId);
    }

    public GrainId GrainId { get; }

    public IGrainFactory GrainFactory => _shared.GrainFactory;

    public IServiceProvider ActivationServices => _scope.ServiceProvider;

    /// <summary>Shared by the activation's persistent states: their writes are refused once it has ended.</summary>
    internal StorageFence StorageFence { get; }

    /// <summary>Completes when the activation has run its deactivation hook and left the directory.</summary>
    public Task Deactivated => _deactivated.Task;

    /// <summary>Completes once the activation's services (its DI scope) are disposed, which may be after it left the directory.</summary>
    public Task ScopeDisposed => _scopeDisposed.Task;

    internal ActivationState State
    {
        get => (ActivationState)Volatile.Read(ref _state);
        private set => Volatile.Write(ref _state, (int)value);
    }

    /// <summary>Accepts a call, or returns false when the activation has already ended (the caller routes it again).</summary>
    public bool TryEnqueue(GrainCall call)
    {
        var state = State;
        if (state == ActivationState.Invalid)
        {
            return false;
        }

        if (state == ActivationState.Created &&
            Interlocked.CompareExchange(ref _state, (int)ActivationState.Activating, (int)ActivationState.Created) == (int)ActivationState.Created)
        {
            _executor.Post(static s => _ = ((ActivationData)s!).ActivateAsync(), this);
        }

        // Should the activation end before the executor sees this call, Admit routes it to the next activation.
        _executor.PostIncoming(call);
        return true;
    }

    public void Deactivate(DeactivationReason reason)
    {
        if (_executor.IsCurrent)
        {
            RequestDeactivation(reason);
        }
        else
        {
            _executor.Post(static s =>
            {
                var (activation, reason) = ((ActivationData, DeactivationReason))s!;
                activation.RequestDeactivation(reason);
            }, (this, reason));
        }
    }

    /// <summary>
    /// Deactivates the activation if nothing happened since <paramref name="idleSinceTimestamp"/>; the answer comes
    /// from the executor, after every call that arrived before the question.
    /// </summary>
    public Task<bool> CollectIfIdleAsync(long idleSinceTimestamp)
    {
        if (State != ActivationState.Valid || Volatile.Read(ref _lastActivity) > idleSinceTimestamp)
        {
            return Task.FromResult(false);
        }

        var decision = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _executor.Post(static s =>
        {
            var (activation, idleSince, decision) = ((ActivationData, long, TaskCompletionSource<bool>))s!;
            decision.SetResult(activation.CollectIfIdle(idleSince));
        }, (this, idleSinceTimestamp, decision));
        return decision.Task;
    }

    /// <summary>
    /// Completes once the activation is active with no call running or waiting, or has ended; asked on the executor,
    /// after every call that arrived before the question.
    /// </summary>
    public Task QuietAsync()
    {
        var quiet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _executor.Post(static s =>
        {
            var (activation, quiet) = ((ActivationData, TaskCompletionSource))s!;
            (activation._quietWaiters ??= []).Add(quiet);
            activation.ReleaseQuietWaiters();
        }, (this, quiet));
        return quiet.Task;
    }

    // Executor.
    private void ReleaseQuietWaiters()
    {
        var state = State;
        var quiet = state == ActivationState.Invalid || (state == ActivationState.Valid && _running == 0 && _parked.Count == 0);
        if (_quietWaiters is null || !quiet)
        {
            return;
        }

        foreach (var waiter in _quietWaiters)
        {
            waiter.TrySetResult();
        }

        _quietWaiters = null;
    }

    public void DelayDeactivation(TimeSpan timeSpan)
    {
        if (timeSpan <= TimeSpan.Zero)
        {
            return;
        }

        var time = _shared.Time;
        var until = Timestamps.Add(time.GetTimestamp(), timeSpan, time.TimestampFrequency);
        var current = Volatile.Read(ref _keepActiveUntil);
        while (until > current)
        {
            var seen = Interlocked.CompareExchange(ref _keepActiveUntil, until, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    public IGrainTimer RegisterTimer(Func<object?, CancellationToken, Task> callback, object? state, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (State is ActivationState.Deactivating or ActivationState.Invalid)
        {
            throw new InvalidOperationException($"Grain {GrainId} is deactivating and cannot register new timers.");
        }

        var timer = new GrainTimer(this, _shared.Time, callback, state, options);
        lock (_timers)
        {
            _timers.Add(timer);
        }

        timer.Start();
        return timer;
    }

    internal void RemoveTimer(GrainTimer timer)
    {
        lock (_timers)
        {
            _timers.Remove(timer);
        }
    }

    internal void AddStateLoader(IActivationStateLoader loader) => _states.Add(loader);

    /// <summary>Executor: a call has arrived.</summary>
    internal void Admit(GrainCall call)
    {
        // Activity is recorded when a call ends: a running or parked call already keeps the activation from collection.
        switch (State)
        {
            case ActivationState.Invalid:
                Reroute(call);
                break;
            case ActivationState.Valid when _deactivationRequest is null && CanStart(call):
                _running++;
                RunCall(call);
                break;
            case ActivationState.Activating or ActivationState.Valid or ActivationState.Deactivating when !_class.IsReentrant && QueueIsFull(call):
                Shed(call);
                break;
            default:
                Park(call);
                break;
        }
    }

    /// <summary>
    /// Executor: whether <paramref name="call"/> would wait behind as many calls as one activation queues
    /// (<see cref="GrainsOptions.MaxQueuedCallsPerActivation"/>), after the calls at the front whose callers stopped
    /// waiting are failed with a timeout as they would be when they came to run. The bound holds also while the
    /// activation activates or deactivates (a slow state read, a slow hook), when a flood meets a grain just placed on
    /// a silo after a failure; it is for grains that are not reentrant, whose calls wait for each other (a reentrant
    /// one runs them all at once, and refuses none). A tick of the activation's own timers and a call another grain made
    /// (<see cref="GrainCallRouting.FromGrain"/>) are never refused: the flood it guards against comes from outside.
    /// </summary>
    private bool QueueIsFull(GrainCall call)
    {
        if (_shared.Options.MaxQueuedCallsPerActivation is not (> 0 and var max) || _parked.Count < max || call is TimerTickCall || call.Routing.FromGrain)
        {
            return false;
        }

        while (_parked.Count > 0 && CallerStoppedWaiting(_parked.Peek()))
        {
            var stale = _parked.Dequeue();
            _parkedInterleavable -= stale.Method.AlwaysInterleave ? 1 : 0;
            LogCallNotRun(_shared.Logger, stale.Method.DisplayName, GrainId);
            stale.Fail(NotRunInTime(stale));
        }

        return _parked.Count >= max;
    }

    private GrainCallTimeoutException NotRunInTime(GrainCall call) => new(
        $"The call {call.Method.DisplayName} to grain {GrainId} was not run: its caller's deadline passed while it waited for the grain.");

    /// <summary>Executor: refuses a call the queue has no room for; it runs nowhere, and its caller may retry.</summary>
    private void Shed(GrainCall call)
    {
        if (_shedCalls++ == 0)
        {
            LogShedding(_shared.Logger, GrainId, _parked.Count);
        }

        call.Fail(new GrainOverloadedException(
            $"Grain {GrainId} has {_parked.Count} calls waiting, the most one activation queues (Grains:MaxQueuedCallsPerActivation), " +
            $"so the call {call.Method.DisplayName} was not run; retry after a moment, or spread the load over more grains."));
    }

    /// <summary>Executor: starts the grain method and finishes the call when it completes.</summary>
    internal void RunCall(GrainCall call)
    {
        if (CallerStoppedWaiting(call))
        {
            // It waited past its caller's deadline (behind a slow activation or a long turn): the caller has had its
            // timeout and may have retried, so running it now could apply it twice.
            LogCallNotRun(_shared.Logger, call.Method.DisplayName, GrainId);
            EndTurn();
            call.Fail(NotRunInTime(call));
            return;
        }

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

    internal void OnWorkItemFailed(Exception exception) => LogWorkItemFailed(_shared.Logger, exception, GrainId);

    private async Task AwaitCallAsync(GrainCall call, ValueTask<Exception?> execution)
    {
        // Resumes on the executor (the captured SynchronizationContext), so the bookkeeping below is a turn too.
        var exception = await execution;
        OnCallFinished(call, exception);
    }

    // Executor.
    private void OnCallFinished(GrainCall call, Exception? exception)
    {
        if (CountsAsActivity(call))
        {
            Touch();
        }

        if (exception is not null)
        {
            OnCallFailed(call, exception);
        }

        EndTurn();

        // The caller sees the result only now, after the turn's end is recorded.
        call.Complete();
    }

    /// <summary>
    /// Whether the caller stopped waiting before the call could start. One-way calls have no caller waiting; a call from
    /// another process carries a deadline set on arrival, on this clock (see ClusterRouter.LocalDeadline).
    /// </summary>
    private bool CallerStoppedWaiting(GrainCall call) =>
        call.Routing.DeadlineUtcMilliseconds > 0 && !call.Method.IsOneWay
        && _shared.Time.GetUtcNow().ToUnixTimeMilliseconds() >= call.Routing.DeadlineUtcMilliseconds;

    // Executor: a started call has ended (run, or not run).
    private void EndTurn()
    {
        _running--;
        if (_deactivationRequest is { } request)
        {
            if (_running == 0 && State == ActivationState.Valid)
            {
                BeginDeactivation(request);
            }
        }
        else
        {
            StartParked();
        }

        ReleaseQuietWaiters();
    }

    private void OnCallFailed(GrainCall call, Exception exception)
    {
        // A storage conflict deactivates the activation whose state it is (PersistentState does that), not every caller
        // up the chain that lets the exception through.
        if (call is TimerTickCall)
        {
            LogTimerFailed(_shared.Logger, exception, GrainId);
        }
        else if (call.Method.IsOneWay)
        {
            LogOneWayCallFailed(_shared.Logger, exception, call.Method.DisplayName, GrainId);
        }
    }

    // Executor.
    private void RequestDeactivation(DeactivationReason reason)
    {
        if (_deactivationRequest is not null || State is ActivationState.Deactivating or ActivationState.Invalid)
        {
            return;
        }

        _deactivationRequest = reason;
        if (State == ActivationState.Valid && _running == 0)
        {
            BeginDeactivation(reason);
        }
    }

    // Executor.
    private bool CollectIfIdle(long idleSinceTimestamp)
    {
        if (State != ActivationState.Valid || _running > 0 || _parked.Count > 0 || _deactivationRequest is not null ||
            _lastActivity > idleSinceTimestamp || Volatile.Read(ref _keepActiveUntil) > _shared.Time.GetTimestamp())
        {
            return false;
        }

        RequestDeactivation(new DeactivationReason(DeactivationReasonCode.IdleCollection, "The activation was idle longer than the collection age."));
        return true;
    }

    // Executor.
    private bool CanStart(GrainCall call) => _running == 0 || _class.IsReentrant || call.Method.AlwaysInterleave;

    // Executor.
    private void Park(GrainCall call)
    {
        _parked.Enqueue(call);
        if (call.Method.AlwaysInterleave)
        {
            _parkedInterleavable++;
        }
    }

    // Executor. Starts parked calls in arrival order as far as they may start; interleaving calls further back (parked
    // while activating) start too, rather than wait behind a call that cannot. Each start is its own work item, so a
    // long run of synchronous calls does not recurse.
    private void StartParked()
    {
        while (_parked.Count > 0 && CanStart(_parked.Peek()))
        {
            var call = _parked.Dequeue();
            _parkedInterleavable -= call.Method.AlwaysInterleave ? 1 : 0;
            _running++;
            _executor.PostStart(call);
        }

        if (_parkedInterleavable > 0)
        {
            for (var remaining = _parked.Count; remaining > 0; remaining--)
            {
                var call = _parked.Dequeue();
                if (call.Method.AlwaysInterleave)
                {
                    _parkedInterleavable--;
                    _running++;
                    _executor.PostStart(call);
                }
                else
                {
                    _parked.Enqueue(call);
                }
            }
        }

        if (_shedCalls > 0 && _parked.Count <= _shared.Options.MaxQueuedCallsPerActivation / 2)
        {
            LogSheddingEnded(_shared.Logger, GrainId, _shedCalls);
            _shedCalls = 0;
        }
    }

    // Executor.
    private GrainCall[] TakeAllParked()
    {
        GrainCall[] parked = [.. _parked];
        _parked.Clear();
        _parkedInterleavable = 0;
        return parked;
    }

    /// <summary>
    /// Deals with a call that reached this activation after it ended: callers of an activation that failed learn why;
    /// otherwise the call goes to the grain's next activation.
    /// </summary>
    private void Reroute(GrainCall call)
    {
        if (_activationFailure is not null)
        {
            call.Fail(_activationFailure);
        }
        else if (call is TimerTickCall)
        {
            // A tick belongs to the timer of this activation, which is gone.
            call.Fail(new ObjectDisposedException(nameof(GrainTimer)));
        }
        else
        {
            _directory.Reroute(GrainId, call);
        }
    }

    private void Touch() => Volatile.Write(ref _lastActivity, _shared.Time.GetTimestamp());

    private static bool CountsAsActivity(GrainCall call) => call is not TimerTickCall tick || tick.KeepAlive;
}
