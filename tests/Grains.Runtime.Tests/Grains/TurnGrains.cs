namespace Grains.Runtime.Tests.Grains;

/// <summary>Detects overlapping turns from inside the grain.</summary>
public interface ITurnOperations : IGrainWithStringKey
{
    /// <summary>Runs a call with awaits in it; returns its position in the order calls ran.</summary>
    Task<int> Work();

    /// <summary>Waits for a release; on a non-reentrant grain only [AlwaysInterleave] calls run meanwhile.</summary>
    Task<int> WaitForRelease();

    [AlwaysInterleave]
    Task Release();

    /// <summary>The same as <see cref="Release"/>, without [AlwaysInterleave].</summary>
    Task ReleaseInTurn();

    Task<TurnReport> Report();
}

public interface ITurnGrain : ITurnOperations;

public interface IReentrantTurnGrain : ITurnOperations;

public sealed record TurnReport(int Calls, int ParallelTurns, int MaxInterleavedCalls);

/// <summary>
/// Two counters: <c>_executing</c> covers synchronous stretches (a turn) and catches turns running in parallel, which
/// must never happen; <c>_inCall</c> covers whole calls across awaits and shows interleaving.
/// </summary>
public abstract class TurnGrainBase : Grain
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _executing;
    private int _inCall;
    private int _calls;
    private int _parallelTurns;
    private int _maxInterleaved;

    public async Task<int> Work()
    {
        var position = EnterCall();
        Turn();
        await Task.Yield();
        Turn();
        await Task.Delay(1);
        Turn();
        ExitCall();
        return position;
    }

    public async Task<int> WaitForRelease()
    {
        var position = EnterCall();
        await _release.Task;
        ExitCall();
        return position;
    }

    public Task Release()
    {
        _release.TrySetResult();
        return Task.CompletedTask;
    }

    public Task ReleaseInTurn() => Release();

    public Task<TurnReport> Report() => Task.FromResult(new TurnReport(_calls, _parallelTurns, _maxInterleaved));

    private int EnterCall()
    {
        var inCall = ++_inCall;
        _maxInterleaved = Math.Max(_maxInterleaved, inCall);
        return ++_calls;
    }

    private void ExitCall() => _inCall--;

    private void Turn()
    {
        if (Interlocked.Increment(ref _executing) != 1)
        {
            Interlocked.Increment(ref _parallelTurns);
        }

        // Widen the window in which a parallel turn would be caught.
        Thread.SpinWait(200);
        Interlocked.Decrement(ref _executing);
    }
}

public sealed class TurnGrain : TurnGrainBase, ITurnGrain;

[Reentrant]
public sealed class ReentrantTurnGrain : TurnGrainBase, IReentrantTurnGrain;

/// <summary>Opened by a test to let <see cref="GatedTurnGrain"/> finish activating.</summary>
public sealed class ActivationGate
{
    public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public interface IGatedTurnGrain : ITurnOperations;

/// <summary>Activates only when the test opens the gate, so calls can be queued during activation.</summary>
public sealed class GatedTurnGrain(ActivationGate gate) : TurnGrainBase, IGatedTurnGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken) => gate.Open.Task;
}

public interface IGatedReentrantTurnGrain : ITurnOperations;

/// <summary><see cref="GatedTurnGrain"/>, reentrant.</summary>
[Reentrant]
public sealed class GatedReentrantTurnGrain(ActivationGate gate) : TurnGrainBase, IGatedReentrantTurnGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken) => gate.Open.Task;
}
