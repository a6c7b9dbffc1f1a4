namespace Grains.Runtime.Tests.Grains;

public interface ILateWriterGrain : IGrainWithStringKey
{
    Task<int> Set(int value);

    Task<int> Get();

    /// <summary>
    /// Makes the next deactivation hook record "hook waiting", wait for <see cref="HookGate"/>, store
    /// <paramref name="value"/> and record "late write stored" or "late write refused: {exception type}".
    /// </summary>
    Task ArmHook(int value);

    Task Deactivate();

    /// <summary>Starts two writes of the state before either ends (<paramref name="value"/>, then one more), and waits for both.</summary>
    Task<int> WriteTwiceAtOnce(int value);
}

/// <summary>Opened by a test to let an armed deactivation hook of <see cref="LateWriterGrain"/> go on.</summary>
public sealed class HookGate
{
    public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public sealed class LateWriterGrain([PersistentState("counter")] IPersistentState<CounterState> state, LifecycleProbe probe, HookGate gate) : Grain, ILateWriterGrain
{
    private int? _hookValue;

    public async Task<int> Set(int value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
        return value;
    }

    public Task<int> Get() => Task.FromResult(state.State.Value);

    public Task ArmHook(int value)
    {
        _hookValue = value;
        return Task.CompletedTask;
    }

    public async Task<int> WriteTwiceAtOnce(int value)
    {
        state.State.Value = value;
        var first = state.WriteStateAsync();
        state.State.Value = value + 1;
        var second = state.WriteStateAsync();
        await Task.WhenAll(first, second);
        return state.State.Value;
    }

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_hookValue is not { } value)
        {
            return;
        }

        probe.Record("hook waiting");
        await gate.Open.Task; // past the timeout on purpose: the token is ignored
        state.State.Value = value;
        try
        {
            await state.WriteStateAsync(CancellationToken.None);
            probe.Record("late write stored");
        }
        catch (Exception exception)
        {
            probe.Record("late write refused: " + exception.GetType().Name);
        }
    }
}
