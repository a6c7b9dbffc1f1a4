using System.Numerics;

namespace Grains.Messaging;

/// <summary>
/// Every call this process is waiting for, in sharded intrusive lists (adding and removing a call is a short lock
/// and two pointer writes). A periodic sweep times out calls past their deadline, so a caller never waits longer
/// than its response timeout plus one sweep interval.
/// </summary>
internal sealed class PendingCallTable : IDisposable
{
    private readonly Shard[] _shards;
    private readonly TimeProvider _time;
    private readonly ITimer _sweepTimer;
    private int _nextShard;

    public PendingCallTable(TimeProvider time, TimeSpan sweepInterval)
    {
        _time = time;
        _shards = new Shard[Math.Max(4, (int)BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount * 4))];
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard();
        }

        _sweepTimer = time.CreateTimer(static state => ((PendingCallTable)state!).Sweep(), this, sweepInterval, sweepInterval);
    }

    /// <summary>The sweep interval for a response timeout: a tenth of it, between 10 ms and 1 s.</summary>
    public static TimeSpan SweepIntervalFor(TimeSpan responseTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(responseTimeout.Ticks / 10, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));

    public int Count => _shards.Sum(s => s.Count);

    public long DeadlineFor(TimeSpan timeout) => _time.GetTimestamp() + (long)(timeout.TotalSeconds * _time.TimestampFrequency);

    public void Add(PendingCallEntry call)
    {
        // Round-robin spreads concurrent callers over the shards' locks.
        var index = (int)((uint)Interlocked.Increment(ref _nextShard) & (uint)(_shards.Length - 1));
        call.Shard = index;
        var shard = _shards[index];
        lock (shard)
        {
            call.Next = shard.Head;
            if (shard.Head is not null)
            {
                shard.Head.Previous = call;
            }

            shard.Head = call;
            shard.Count++;
        }
    }

    public void Remove(PendingCallEntry call)
    {
        var index = Volatile.Read(ref call.Shard);
        if (index < 0)
        {
            return;
        }

        var shard = _shards[index];
        lock (shard)
        {
            if (call.Shard < 0)
            {
                return;
            }

            if (call.Previous is null)
            {
                shard.Head = call.Next;
            }
            else
            {
                call.Previous.Next = call.Next;
            }

            if (call.Next is not null)
            {
                call.Next.Previous = call.Previous;
            }

            call.Previous = call.Next = null;
            call.Shard = -1;
            shard.Count--;
        }
    }

    public void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var expired in Collect(call => call.DeadlineTimestamp <= now))
        {
            expired.TimeOut();
        }
    }

    /// <summary>Fails every call still waiting (the silo is stopping and will not answer them); returns how many.</summary>
    public int FailAll(Func<Exception> exception)
    {
        var all = Collect(static _ => true);
        foreach (var call in all)
        {
            call.Fail(exception());
        }

        return all.Count;
    }

    public void Dispose() => _sweepTimer.Dispose();

    // Completing a call takes its shard's lock, so matches are gathered first and completed outside the locks.
    private List<PendingCallEntry> Collect(Func<PendingCallEntry, bool> predicate)
    {
        var matches = new List<PendingCallEntry>();
        foreach (var shard in _shards)
        {
            lock (shard)
            {
                for (var call = shard.Head; call is not null; call = call.Next)
                {
                    if (predicate(call))
                    {
                        matches.Add(call);
                    }
                }
            }
        }

        return matches;
    }

    private sealed class Shard
    {
        public PendingCallEntry? Head;
        public int Count;
    }
}
