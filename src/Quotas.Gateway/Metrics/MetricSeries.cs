namespace Quotas.Gateway.Metrics;

/// <summary>One labelled series of a counter or gauge. Updates take a lock: measurements are few per request.</summary>
internal sealed class ValueSeries
{
    private readonly Lock _lock = new();
    private double _value;

    public double Value
    {
        get
        {
            lock (_lock)
            {
                return _value;
            }
        }
    }

    public void Add(double delta)
    {
        lock (_lock)
        {
            _value += delta;
        }
    }

    public void Set(double value)
    {
        lock (_lock)
        {
            _value = value;
        }
    }
}

/// <summary>One labelled series of a histogram: a count per bucket (not yet cumulative), the sum and the count.</summary>
internal sealed class HistogramSeries(double[] bounds)
{
    private readonly Lock _lock = new();
    private readonly long[] _buckets = new long[bounds.Length + 1];
    private double _sum;
    private long _count;

    public void Record(double value)
    {
        // The first bucket whose upper bound holds the value (Prometheus buckets are "less than or equal").
        var index = Array.BinarySearch(bounds, value);
        if (index < 0)
        {
            index = ~index;
        }

        lock (_lock)
        {
            _buckets[index]++;
            _sum += value;
            _count++;
        }
    }

    /// <summary>A consistent copy: cumulative counts per bound then +Inf, the sum and the count.</summary>
    public (long[] Cumulative, double Sum, long Count) Read()
    {
        lock (_lock)
        {
            var cumulative = new long[_buckets.Length];
            long running = 0;
            for (var i = 0; i < _buckets.Length; i++)
            {
                running += _buckets[i];
                cumulative[i] = running;
            }

            return (cumulative, _sum, _count);
        }
    }
}
