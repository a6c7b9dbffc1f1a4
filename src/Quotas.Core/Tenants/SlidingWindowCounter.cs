namespace Quotas.Core.Tenants;

/// <summary>A bucketed sliding window counter (bucket sum, not weighted previous window).</summary>
/// <remarks>
/// The window is split into N equal buckets aligned on absolute UTC time (bucket k covers [k·w/N, (k+1)·w/N)). The count at
/// <c>now</c> is the exact sum of the bucket holding <c>now</c> and the N-1 before it, so it covers between window - w/N and the
/// full window: it never admits more than the limit in any span of N whole buckets, and a unit leaves the count when its bucket
/// leaves, at most w/N early. Memory: N longs plus four fields; time going backwards counts into the newest bucket.
/// </remarks>
public sealed class SlidingWindowCounter
{
    private readonly long _bucketTicks;
    private readonly long[] _counts;
    private long _head;
    private long _total;

    /// <summary>UTC ticks when the count first went above a soft limit (0: not above); kept here to save an array per tenant.</summary>
    internal long OverSinceTicks;

    public SlidingWindowCounter(TimeSpan window, int buckets)
    {
        _bucketTicks = window.Ticks / buckets;
        _counts = new long[buckets];
    }

    /// <summary>Units counted in the window ending at <paramref name="now"/>.</summary>
    public long Count(DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        return _total;
    }

    public void Add(long units, DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        _counts[(int)(_head % _counts.Length)] += units;
        _total += units;
    }

    /// <summary>Time until at least <paramref name="units"/> have left the window (zero when none need to).</summary>
    public TimeSpan TimeUntilFreed(long units, DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        if (units <= 0)
        {
            return TimeSpan.Zero;
        }

        var n = _counts.Length;
        long freed = 0;
        for (var bucket = _head - n + 1; bucket <= _head; bucket++)
        {
            freed += _counts[(int)(((bucket % n) + n) % n)];
            if (freed >= units)
            {
                return Until(bucket + n, now);
            }
        }

        return Until(_head + n, now);
    }

    /// <summary>Time until the oldest counted unit leaves the window (when remaining next grows); zero when empty.</summary>
    public TimeSpan ResetAfter(DateTimeOffset now) => _total == 0 ? TimeSpan.Zero : TimeUntilFreed(1, now);

    private TimeSpan Until(long bucket, DateTimeOffset now) => TimeSpan.FromTicks(Math.Max(0, (bucket * _bucketTicks) - now.UtcTicks));

    private void Advance(long nowTicks)
    {
        var bucket = nowTicks / _bucketTicks;
        if (bucket <= _head)
        {
            return;
        }

        var n = _counts.Length;
        if (bucket - _head >= n)
        {
            Array.Clear(_counts);
            _total = 0;
        }
        else
        {
            for (var k = _head + 1; k <= bucket; k++)
            {
                var i = (int)(k % n);
                _total -= _counts[i];
                _counts[i] = 0;
            }
        }

        _head = bucket;
    }
}
