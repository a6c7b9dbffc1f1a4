namespace Quotas.Client;

/// <summary>
/// Cancels the connection it watches when it is not told of an event in time. One timer for a whole stream (re-armed
/// per event), on the SDK's clock, so that tests move it exactly.
/// </summary>
internal sealed class IdleWatchdog : IDisposable
{
    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private CancellationTokenSource? _watched;

    public IdleWatchdog(TimeProvider time) =>
        _timer = time.CreateTimer(static state => ((IdleWatchdog)state!).Expire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>Cancels <paramref name="connection"/> unless <see cref="Watch"/> or <see cref="Stop"/> comes within <paramref name="limit"/>.</summary>
    public void Watch(CancellationTokenSource connection, TimeSpan limit)
    {
        lock (_lock)
        {
            _watched = connection;
            _timer.Change(limit, Timeout.InfiniteTimeSpan);
        }
    }

    public void Stop()
    {
        lock (_lock)
        {
            _watched = null;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        Stop();
        _timer.Dispose();
    }

    private void Expire()
    {
        CancellationTokenSource? expired;
        lock (_lock)
        {
            expired = _watched;
            _watched = null;
        }

        try
        {
            expired?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection ended (and was disposed) as the timer fired: nothing left to drop.
        }
    }
}
