using Grains.Activation;

namespace Grains.Timers;

/// <summary>
/// A timer whose ticks are queued to its activation like calls, so a callback runs as a turn. The next tick is
/// scheduled only after the callback finished: ticks never pile up behind a slow callback.
/// </summary>
internal sealed class GrainTimer : IGrainTimer
{
    private readonly ActivationData _activation;
    private readonly Func<object?, CancellationToken, Task> _callback;
    private readonly object? _state;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _disposed = new();
    private readonly object _lock = new();
    private TimeSpan _dueTime;
    private TimeSpan _period;
    private long _changes;
    private int _tickQueued;

    public GrainTimer(ActivationData activation, TimeProvider time, Func<object?, CancellationToken, Task> callback, object? state, GrainTimerCreationOptions options)
    {
        Validate(options.DueTime, options.Period);
        _activation = activation;
        _callback = callback;
        _state = state;
        _dueTime = options.DueTime;
        _period = options.Period;
        Interleave = options.Interleave;
        KeepAlive = options.KeepAlive;
        _timer = time.CreateTimer(static s => ((GrainTimer)s!).OnTimerFired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public bool Interleave { get; }

    public bool KeepAlive { get; }

    internal void Start()
    {
        lock (_lock)
        {
            ArmLocked(_dueTime);
        }
    }

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        Validate(dueTime, period);
        lock (_lock)
        {
            _dueTime = dueTime;
            _period = period;
            Interlocked.Increment(ref _changes);
            ArmLocked(dueTime);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel();
            _timer.Dispose();
        }

        _activation.RemoveTimer(this);
    }

    /// <summary>Runs as a turn of the activation.</summary>
    /// <remarks>
    /// <paramref name="changes"/>: how many changes the timer had when this tick fell due. A change since (made while the
    /// tick waited behind a turn) supersedes the tick: it does not run (a stopped timer does not tick once more).
    /// </remarks>
    internal async ValueTask<Exception?> TickAsync(long changes)
    {
        try
        {
            if (!_disposed.IsCancellationRequested && Interlocked.Read(ref _changes) == changes)
            {
                await _callback(_state, _disposed.Token);
            }

            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
        finally
        {
            Volatile.Write(ref _tickQueued, 0);
            lock (_lock)
            {
                // A change made since the tick fell due (by the callback itself, or a turn the tick waited behind)
                // wins over the period: it is armed again from now, since a tick it made fall due meanwhile was dropped.
                ArmLocked(_changes == changes ? _period : _dueTime);
            }
        }
    }

    internal void OnTickDropped() => Volatile.Write(ref _tickQueued, 0);

    private void OnTimerFired()
    {
        if (_disposed.IsCancellationRequested || Interlocked.Exchange(ref _tickQueued, 1) == 1)
        {
            return;
        }

        if (!_activation.TryEnqueue(new TimerTickCall(this, Interlocked.Read(ref _changes))))
        {
            Dispose();
        }
    }

    /// <summary>Arms the next tick, or disarms the timer for <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    private void ArmLocked(TimeSpan dueTime)
    {
        if (!_disposed.IsCancellationRequested)
        {
            _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
        }
    }

    private static void Validate(TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "A timer's due time must be zero or positive, or Timeout.InfiniteTimeSpan.");
        }

        if (period <= TimeSpan.Zero && period != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "A timer's period must be positive, or Timeout.InfiniteTimeSpan for a single tick.");
        }
    }
}
