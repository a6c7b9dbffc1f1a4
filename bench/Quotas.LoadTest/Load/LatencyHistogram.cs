using System.Diagnostics;
using System.Numerics;

namespace Quotas.LoadTest.Load;

/// <summary>
/// Latencies in log-linear buckets, as HdrHistogram keeps them: exact to the microsecond below 256 µs, then 128
/// buckets per power of two (under 0.8 % relative error). Recording is one interlocked increment, from any thread,
/// in constant memory, however many requests a step sends.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int ExactBuckets = 256;
    private const int SubBuckets = 128;
    private const int SubBucketBits = 7;
    private const long MaxMicroseconds = (1L << 32) - 1;
    private static readonly double s_microsecondsPerTick = 1_000_000.0 / Stopwatch.Frequency;

    private readonly long[] _counts = new long[ExactBuckets + (SubBuckets * 24)];
    private long _total;

    public long Count => Volatile.Read(ref _total);

    public void RecordTicks(long ticks)
    {
        var micros = Math.Clamp((long)(ticks * s_microsecondsPerTick), 0, MaxMicroseconds);
        Interlocked.Increment(ref _counts[IndexOf(micros)]);
        Interlocked.Increment(ref _total);
    }

    /// <summary>The value at quantile <paramref name="q"/> (0 to 1), in milliseconds: the upper edge of its bucket, so
    /// it never reads better than what was recorded. Zero when nothing was recorded.</summary>
    public double QuantileMilliseconds(double q)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return UpperEdgeMicroseconds(i) / 1000.0;
            }
        }

        return MaxMicroseconds / 1000.0;
    }

    private static int IndexOf(long micros)
    {
        if (micros < ExactBuckets)
        {
            return (int)micros;
        }

        // The top 8 bits of the value select the bucket: 'shift' is how many low bits the bucket ignores.
        var shift = (63 - BitOperations.LeadingZeroCount((ulong)micros)) - SubBucketBits;
        var sub = (int)(micros >> shift) - SubBuckets;
        return ExactBuckets + ((shift - 1) * SubBuckets) + sub;
    }

    private static long UpperEdgeMicroseconds(int index)
    {
        if (index < ExactBuckets)
        {
            return index;
        }

        var shift = ((index - ExactBuckets) / SubBuckets) + 1;
        var sub = ((index - ExactBuckets) % SubBuckets) + SubBuckets;
        return ((long)(sub + 1) << shift) - 1;
    }
}
