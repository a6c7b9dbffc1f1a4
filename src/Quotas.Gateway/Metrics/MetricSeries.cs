namespace Quotas.Gateway.Metrics;

/// <summary>
/// One labelled series of a counter or gauge. Lock-free: every request updates the same few series from every thread,
/// and a lock there turns into a convoy when the process is overloaded and a holder is preempted.
/// </summary>
internal sealed class ValueSeries
{
    private double _value;

    public double Value => Volatile.Read(ref _value);

    public void Add(double delta) => AtomicDouble.Add(ref _value, delta);

    public void Set(double value) => Volatile.Write(ref _value, value);
}

/// <summary>
/// One labelled series of a histogram: a count per bucket (not yet cumulative) and the sum. Lock-free like
/// <see cref="ValueSeries"/>; the count is the sum of the buckets, so a scrape's +Inf bucket always equals its count.
/// </summary>
internal sealed class HistogramSeries(double[] bounds)
{
    private readonly long[] _buckets = new long[bounds.Length + 1];
    private double _sum;

    public void Record(double value)
    {
        // The first bucket whose upper bound holds the value (Prometheus buckets are "less than or equal").
        var index = Array.BinarySearch(bounds, value);
        if (index < 0)
        {
            index = ~index;
        }

        Interlocked.Increment(ref _buckets[index]);
        AtomicDouble.Add(ref _sum, value);
    }

    /// <summary>Cumulative counts per bound then +Inf, the sum and the count, read without stopping writers.</summary>
    public (long[] Cumulative, double Sum, long Count) Read()
    {
        var cumulative = new long[_buckets.Length];
        long running = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            running += Volatile.Read(ref _buckets[i]);
            cumulative[i] = running;
        }

        return (cumulative, Volatile.Read(ref _sum), running);
    }
}

/// <summary>Adds to a double shared between threads with a compare-and-swap loop.</summary>
internal static class AtomicDouble
{
    public static void Add(ref double target, double delta)
    {
        var seen = Volatile.Read(ref target);
        while (true)
        {
            var previous = Interlocked.CompareExchange(ref target, seen + delta, seen);
            // Bitwise: Equals would take -0.0 for 0.0 (and NaN for NaN) and drop an addition that lost the race.
            if (BitConverter.DoubleToInt64Bits(previous) == BitConverter.DoubleToInt64Bits(seen))
            {
                return;
            }

            seen = previous;
        }
    }
}
