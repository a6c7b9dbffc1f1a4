using System.Collections.Concurrent;

namespace Grains.Messaging;

/// <summary>
/// Every call this process is waiting for, keyed by correlation id. A periodic sweep times out calls past their
/// deadline, so a caller never waits longer than its response timeout plus one sweep interval.
/// </summary>
internal sealed class PendingCallTable : IDisposable
{
    private readonly ConcurrentDictionary<long, IPendingCall> _calls = new();
    private readonly TimeProvider _time;
    private readonly ITimer _sweepTimer;
    private long _nextId;

    public PendingCallTable(TimeProvider time, TimeSpan sweepInterval)
    {
        _time = time;
        _sweepTimer = time.CreateTimer(static state => ((PendingCallTable)state!).Sweep(), this, sweepInterval, sweepInterval);
    }

    /// <summary>The sweep interval for a response timeout: a tenth of it, between 10 ms and 1 s.</summary>
    public static TimeSpan SweepIntervalFor(TimeSpan responseTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(responseTimeout.Ticks / 10, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));

    public int Count => _calls.Count;

    public long NextId() => Interlocked.Increment(ref _nextId);

    public long DeadlineFor(TimeSpan timeout) => _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);

    public void Add(IPendingCall call) => _calls[call.Id] = call;

    public void Remove(long id) => _calls.TryRemove(id, out _);

    public bool TryGet(long id, out IPendingCall call) => _calls.TryGetValue(id, out call!);

    public void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var (_, call) in _calls)
        {
            if (call.DeadlineTimestamp <= now)
            {
                call.TimeOut();
            }
        }
    }

    /// <summary>Fails every call still waiting (the silo is stopping and will not answer them).</summary>
    public int FailAll(Func<Exception> exception)
    {
        var failed = 0;
        foreach (var (_, call) in _calls)
        {
            call.Fail(exception());
            failed++;
        }

        return failed;
    }

    public void Dispose() => _sweepTimer.Dispose();
}
