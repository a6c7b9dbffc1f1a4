namespace Grains.Runtime.Tests.Grains;

public interface IInlineTurnGrain : IGrainWithStringKey
{
    /// <summary>The managed thread the turn ran on; completes synchronously.</summary>
    Task<int> ThreadId();

    /// <summary>Calls another grain from inside this turn; true when that grain's turn ran nested inside this one.</summary>
    Task<bool> CalleeRanInsideMyTurn(string otherKey);

    /// <summary>True when called while a turn of <see cref="CalleeRanInsideMyTurn"/> is on this thread's stack.</summary>
    Task<bool> InsideCallersTurn();

    /// <summary>Sets an ambient (async-local) value without restoring it; completes synchronously.</summary>
    Task SetAmbient(string value);
}

public sealed class InlineTurnGrain : Grain, IInlineTurnGrain
{
    public static readonly AsyncLocal<string?> Ambient = new();

    [ThreadStatic]
    private static bool s_inCallerTurn;

    public Task<int> ThreadId() => Task.FromResult(Environment.CurrentManagedThreadId);

    public async Task<bool> CalleeRanInsideMyTurn(string otherKey)
    {
        s_inCallerTurn = true;
        Task<bool> inner;
        try
        {
            inner = GrainFactory.GetGrain<IInlineTurnGrain>(otherKey).InsideCallersTurn();
        }
        finally
        {
            s_inCallerTurn = false;
        }

        return await inner;
    }

    public Task<bool> InsideCallersTurn() => Task.FromResult(s_inCallerTurn);

    public Task SetAmbient(string value)
    {
        Ambient.Value = value;
        return Task.CompletedTask;
    }
}
