using Grains.Timers;

namespace Grains.Runtime.Tests.Grains;

public sealed class GrainFailureException(string message) : Exception(message);

public interface IBehaviourGrain : IGrainWithStringKey
{
    Task Throw(string message);

    Task<int> ThrowCustom(string message);

    /// <summary>Never completes; records "hanging" when it starts.</summary>
    Task<int> Hang();

    [ResponseTimeout("00:00:02")]
    Task<int> HangWithShortTimeout();

    /// <summary>Lets hanging calls finish, so that the test's silo stops at once.</summary>
    [AlwaysInterleave]
    Task Unhang();

    [OneWay]
    Task Fire(string @event);

    /// <summary>Records the event, as <see cref="Fire"/> does, and answers.</summary>
    Task Record(string @event);

    ValueTask<string> Echo(string text);

    ValueTask Touch();

    Task<string> KeyOf();

    /// <summary>Increments a counter grain, letting its failure through; counts the calls made so, in memory.</summary>
    Task<int> IncrementCounter(string counterKey, int by);

    /// <summary>The calls <see cref="IncrementCounter"/> made in this activation.</summary>
    Task<int> CounterCalls();

    /// <summary>Calls <see cref="ITurnOperations.Work"/> on the turn grain of <paramref name="key"/>: a call one grain makes to another.</summary>
    Task<int> WorkOnTurnGrain(string key);

    /// <summary>Keeps idle collection from taking the activation for <paramref name="span"/>.</summary>
    Task StayActiveFor(TimeSpan span);
}

public sealed class BehaviourGrain(LifecycleProbe probe) : Grain, IBehaviourGrain
{
    private readonly TaskCompletionSource<int> _never = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _counterCalls;

    public Task Throw(string message) => throw new ArgumentException(message);

    public async Task<int> ThrowCustom(string message)
    {
        await Task.Yield();
        throw new GrainFailureException(message);
    }

    public Task<int> Hang()
    {
        probe.Record("hanging");
        return _never.Task;
    }

    public Task<int> HangWithShortTimeout() => _never.Task;

    public Task Unhang()
    {
        _never.TrySetResult(0);
        return Task.CompletedTask;
    }

    public Task Fire(string @event)
    {
        probe.Record(@event);
        return Task.CompletedTask;
    }

    public Task Record(string @event) => Fire(@event);

    public ValueTask<string> Echo(string text) => ValueTask.FromResult(text);

    public ValueTask Touch() => ValueTask.CompletedTask;

    public Task<string> KeyOf() => Task.FromResult(GetPrimaryKeyString());

    public Task<int> IncrementCounter(string counterKey, int by)
    {
        _counterCalls++;
        return GrainFactory.GetGrain<ICounterGrain>(counterKey).Increment(by);
    }

    public Task<int> CounterCalls() => Task.FromResult(_counterCalls);

    public Task<int> WorkOnTurnGrain(string key) => GrainFactory.GetGrain<ITurnGrain>(key).Work();

    public Task StayActiveFor(TimeSpan span)
    {
        DelayDeactivation(span);
        return Task.CompletedTask;
    }
}

public interface IGuidKeyGrain : IGrainWithGuidKey
{
    Task<Guid> Key();
}

public sealed class GuidKeyGrain : Grain, IGuidKeyGrain
{
    public Task<Guid> Key() => Task.FromResult(GetPrimaryKey());
}

public interface IIntegerKeyGrain : IGrainWithIntegerKey
{
    Task<long> Key();
}

public sealed class IntegerKeyGrain : Grain, IIntegerKeyGrain
{
    public Task<long> Key() => Task.FromResult(GetPrimaryKeyLong());
}

public interface IFailingActivationGrain : IGrainWithStringKey
{
    Task<int> Ping();
}

/// <summary>Fails its first activation per key, then activates normally.</summary>
public sealed class FailingActivationGrain(LifecycleProbe probe) : Grain, IFailingActivationGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        probe.Activated(GetPrimaryKeyString());
        return probe.ActivationsOf(GetPrimaryKeyString()) == 1
            ? throw new InvalidOperationException("first activation fails")
            : Task.CompletedTask;
    }

    public Task<int> Ping() => Task.FromResult(probe.ActivationsOf(GetPrimaryKeyString()));
}

public interface IHangingActivationGrain : IGrainWithStringKey
{
    Task<int> Ping();
}

/// <summary>A service of the activation's scope that records when it is disposed.</summary>
public sealed class ScopedResource(LifecycleProbe probe) : IDisposable
{
    public bool Disposed { get; private set; }

    public void Dispose()
    {
        Disposed = true;
        probe.Record("scoped resource disposed");
    }
}

/// <summary>Holds the disposal of <see cref="HangingDisposal"/> until the test opens it.</summary>
public sealed class DisposalGate
{
    public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A service of the activation's scope whose disposal does not end until <see cref="DisposalGate"/> opens (a connection that will not close).</summary>
public sealed class HangingDisposal(LifecycleProbe probe, DisposalGate gate) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        probe.Record("disposal started");
        await gate.Open.Task;
        probe.Record("disposal ended");
    }
}

public interface IHangingDisposalGrain : IGrainWithStringKey
{
    /// <summary>How many activations of the key there were so far.</summary>
    Task<int> Ping();

    /// <summary>Deactivates after this call.</summary>
    Task Leave();
}

public sealed class HangingDisposalGrain(LifecycleProbe probe, HangingDisposal disposal) : Grain, IHangingDisposalGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(disposal); // taken only so that the activation's scope creates it, and disposes it when the activation ends
        probe.Activated(GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public Task<int> Ping() => Task.FromResult(probe.ActivationsOf(GetPrimaryKeyString()));

    public Task Leave()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Its first activation per key never ends on its own: the hook ignores its token until the test opens the gate, and
/// records when the token is cancelled; then it tries what a hook that outlived its activation might do, and records
/// what happened. Later activations end at once.
/// </summary>
public sealed class HangingActivationGrain(LifecycleProbe probe, ActivationGate gate, ScopedResource resource) : Grain, IHangingActivationGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = GetPrimaryKeyString();
        probe.Activated(key);
        if (probe.ActivationsOf(key) > 1)
        {
            return;
        }

        cancellationToken.Register(() => probe.Record($"{key}: activation token cancelled"));
        await gate.Open.Task;
        probe.Record($"{key}: resource disposed while the hook ran: {resource.Disposed}");
        try
        {
            RegisterGrainTimer(_ => Task.CompletedTask, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            probe.Record($"{key}: late timer registered");
        }
        catch (InvalidOperationException)
        {
            probe.Record($"{key}: late timer refused");
        }
    }

    public Task<int> Ping() => Task.FromResult(probe.ActivationsOf(GetPrimaryKeyString()));
}

public interface INeedsServiceGrain : IGrainWithStringKey
{
    Task Ping();
}

public sealed class UnregisteredService;

public sealed class NeedsServiceGrain(UnregisteredService service) : Grain, INeedsServiceGrain
{
    public Task Ping() => Task.FromResult(service);
}

public interface ITimerGrain : IGrainWithStringKey
{
    Task Start(TimeSpan period);

    /// <summary>A timer due in 10 s, then every 60 s, whose first tick changes it to be due 1 s later, then every 60 s.</summary>
    Task StartRescheduling();

    /// <summary>Stops the timer with Change(Infinite, Infinite), without disposing of it.</summary>
    Task Stop();

    /// <summary>Holds the turn until <see cref="Finish"/>, then stops the timer as <see cref="Stop"/> does.</summary>
    Task BlockThenStop();

    /// <summary>Holds the activation's turn until <see cref="Finish"/> is called.</summary>
    Task Block();

    [AlwaysInterleave]
    Task Finish();

    Task<IReadOnlyList<string>> Log();
}

public sealed class TimerGrain : Grain, ITimerGrain
{
    private readonly List<string> _log = [];
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ticks;

    private IGrainTimer? _timer;

    public Task Start(TimeSpan period)
    {
        _timer = RegisterGrainTimer(_ =>
        {
            _log.Add($"tick {++_ticks}");
            return Task.CompletedTask;
        }, period, period);
        return Task.CompletedTask;
    }

    public Task StartRescheduling()
    {
        _timer = RegisterGrainTimer(_ =>
        {
            _log.Add($"tick {++_ticks}");
            if (_ticks == 1)
            {
                _timer!.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
            }

            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));
        return Task.CompletedTask;
    }

    public Task Stop()
    {
        _timer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public async Task BlockThenStop()
    {
        await Block();
        await Stop();
    }

    public async Task Block()
    {
        _log.Add("block start");
        await _gate.Task;
        _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _log.Add("block end");
    }

    public Task Finish()
    {
        _gate.TrySetResult();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> Log() => Task.FromResult<IReadOnlyList<string>>(_log.ToList());
}
