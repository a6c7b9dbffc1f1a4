namespace Grains.Runtime.Tests;

/// <summary>A grain busy for good, as a synchronization context: what is posted to it is counted and never runs.</summary>
internal sealed class ContextThatRunsNothing : SynchronizationContext
{
    private int _posted;

    public int Posted => Volatile.Read(ref _posted);

    public override void Post(SendOrPostCallback d, object? state) => Interlocked.Increment(ref _posted);

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException();

    /// <summary>Runs <paramref name="start"/> on this context, as a grain's turn would, and returns what it started.</summary>
    public T Start<T>(Func<T> start)
    {
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            return start();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }
}
