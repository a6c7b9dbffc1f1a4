using System.Collections.Concurrent;

namespace Quotas.Gateway.Metrics;

/// <summary>
/// One Prometheus metric: its name, help, type and its series keyed by their rendered label text
/// (<c>a="x",b="y"</c>, labels sorted by name). A series is created on its first measurement.
/// </summary>
internal sealed class MetricFamily
{
    private readonly ConcurrentDictionary<string, ValueSeries> _values = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HistogramSeries> _histograms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ValueSeries>.AlternateLookup<ReadOnlySpan<char>> _valueLookup;
    private readonly ConcurrentDictionary<string, HistogramSeries>.AlternateLookup<ReadOnlySpan<char>> _histogramLookup;

    public MetricFamily(string name, string help, MetricKind kind, double[] bounds)
    {
        Name = name;
        Help = help;
        Kind = kind;
        Bounds = bounds;
        _valueLookup = _values.GetAlternateLookup<ReadOnlySpan<char>>();
        _histogramLookup = _histograms.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Name { get; }

    public string Help { get; }

    public MetricKind Kind { get; }

    /// <summary>Upper bounds of the histogram buckets, ascending; empty for counters and gauges.</summary>
    public double[] Bounds { get; }

    public ValueSeries Value(ReadOnlySpan<char> labels) =>
        _valueLookup.TryGetValue(labels, out var series) ? series : _values.GetOrAdd(labels.ToString(), static _ => new ValueSeries());

    public HistogramSeries Histogram(ReadOnlySpan<char> labels) =>
        _histogramLookup.TryGetValue(labels, out var series) ? series : _histograms.GetOrAdd(labels.ToString(), static (_, bounds) => new HistogramSeries(bounds), Bounds);

    public bool IsEmpty => _values.IsEmpty && _histograms.IsEmpty;

    /// <summary>Forgets every series; observed instruments report all of theirs again on each scrape.</summary>
    public void Clear()
    {
        _values.Clear();
        _histograms.Clear();
    }

    public IEnumerable<KeyValuePair<string, ValueSeries>> Values => _values.OrderBy(s => s.Key, StringComparer.Ordinal);

    public IEnumerable<KeyValuePair<string, HistogramSeries>> Histograms => _histograms.OrderBy(s => s.Key, StringComparer.Ordinal);
}
