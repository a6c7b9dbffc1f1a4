using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Numerics;
using System.Text;
using Grains.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Quotas.Gateway.Metrics;

/// <summary>
/// Listens to the named meters and aggregates their measurements for the <c>/metrics</c> endpoint: counters and
/// histograms as measured, observed gauges read at each scrape. Meters created through a DI <see cref="IMeterFactory"/>
/// count only when they come from <c>scope</c> (this application's factory), so each application reports its own
/// HTTP traffic even when several share a process.
/// </summary>
public sealed partial class MetricsCollector : IDisposable
{
    /// <summary>
    /// ASP.NET Core's HTTP server metrics, the .NET runtime's, the actor runtime's, the service's (the
    /// <c>Quotas</c> meter of the grains, which the gateway does not reference) and the gateway's own.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultMeters = ["Microsoft.AspNetCore.Hosting", "System.Runtime", SiloMetrics.MeterName, "Quotas", Streams.EventStreamSlots.MeterName];

    /// <summary>Latency buckets in seconds, finer below 10 ms where the service's answers fall.</summary>
    private static readonly double[] s_secondsBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly double[] s_defaultBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

    private readonly MeterListener _listener = new();
    private readonly Lock _familiesLock = new();
    private readonly Lock _scrapeLock = new();
    private readonly Dictionary<string, MetricFamily> _families = new(StringComparer.Ordinal);
    private readonly HashSet<MetricFamily> _observed = [];

    private readonly ILogger _logger;

    /// <param name="meterNames">The meters to listen to.</param>
    /// <param name="scope">The application's <see cref="IMeterFactory"/>; meters another factory created are left out.</param>
    /// <param name="logger">Where a gauge whose callback fails is reported (the scrape goes on without it).</param>
    public MetricsCollector(IEnumerable<string> meterNames, object? scope, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(meterNames);
        _logger = logger ?? NullLogger.Instance;
        var names = meterNames.ToHashSet(StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (names.Contains(instrument.Meter.Name) && (instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, scope)))
            {
                if (Sink(instrument) is { } sink)
                {
                    listener.EnableMeasurementEvents(instrument, sink);
                }
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.SetMeasurementEventCallback<int>(OnMeasurement);
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.SetMeasurementEventCallback<float>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Every family with at least one series, in the Prometheus text format, sorted by name.</summary>
    public string Scrape()
    {
        lock (_scrapeLock)
        {
            MetricFamily[] families;
            lock (_familiesLock)
            {
                foreach (var family in _observed)
                {
                    family.Clear();
                }

                families = [.. _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)];
            }

            try
            {
                _listener.RecordObservableInstruments();
            }
            catch (AggregateException failed)
            {
                // Every callback ran; a failing one's gauges are left out of this scrape, not the whole scrape.
                LogCallbackFailed(_logger, failed.InnerExceptions.Count, failed);
            }

            var text = new StringBuilder();
            foreach (var family in families)
            {
                if (!family.IsEmpty)
                {
                    PrometheusText.Write(text, family);
                }
            }

            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>
    /// Where the instrument's measurements go; null, and the instrument left out, when its name would clash with a
    /// family of another kind, or of the same kind measured the other way (observed at each scrape, or as it happens):
    /// the same name, or one a histogram's series take (<c>_bucket</c>, <c>_sum</c>, <c>_count</c>). Joined, the two
    /// would be written under one TYPE, and the clearing of observed values at each scrape would reset the other's counts.
    /// </summary>
    private InstrumentSink? Sink(Instrument instrument)
    {
        var kind = KindOf(instrument);
        var name = PrometheusNames.MetricName(instrument, kind);
        lock (_familiesLock)
        {
            // An observed instrument and a measured one of one name cannot share a family either: the observed values are
            // cleared before each scrape, and the measured totals would go with them.
            if (_families.TryGetValue(name, out var existing)
                ? existing.Kind != kind || _observed.Contains(existing) != instrument.IsObservable
                : ClashesWithHistogramSeries(name, kind))
            {
                _refused.Enqueue(instrument.Meter.Name + "/" + instrument.Name);
                return null;
            }

            if (!_families.TryGetValue(name, out var family))
            {
                var bounds = kind != MetricKind.Histogram ? [] : instrument.Unit == "s" ? s_secondsBuckets : s_defaultBuckets;
                family = new MetricFamily(name, instrument.Description ?? instrument.Name, kind, bounds);
                _families.Add(name, family);
            }

            if (instrument.IsObservable)
            {
                _observed.Add(family);
            }

            return new InstrumentSink(family, instrument.IsObservable || IsGauge(instrument));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Metrics: {Count} gauge callback(s) failed; their gauges are left out of this scrape")]
    private static partial void LogCallbackFailed(ILogger logger, int count, Exception exception);

    private readonly ConcurrentQueue<string> _refused = new();

    /// <summary>Instruments left out because their metric name clashes with another's, as meter/instrument.</summary>
    public IReadOnlyCollection<string> Refused => _refused;

    private static readonly string[] s_histogramSuffixes = ["_bucket", "_sum", "_count"];

    private bool ClashesWithHistogramSeries(string name, MetricKind kind) =>
        kind == MetricKind.Histogram
            ? s_histogramSuffixes.Any(suffix => _families.ContainsKey(name + suffix))
            : s_histogramSuffixes.Any(suffix => name.EndsWith(suffix, StringComparison.Ordinal)
                && _families.TryGetValue(name[..^suffix.Length], out var histogram) && histogram.Kind == MetricKind.Histogram);

    private static void OnMeasurement<T>(Instrument instrument, T measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        where T : struct, INumber<T>
    {
        var sink = (InstrumentSink)state!;
        var value = double.CreateTruncating(measurement);
        var labels = LabelText.Render(tags);
        if (sink.Family.Kind == MetricKind.Histogram)
        {
            sink.Family.Histogram(labels).Record(value);
        }
        else if (sink.SetsValue)
        {
            sink.Family.Value(labels).Set(value);
        }
        else
        {
            sink.Family.Value(labels).Add(value);
        }
    }

    private static MetricKind KindOf(Instrument instrument)
    {
        var type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Histogram<>))
        {
            return MetricKind.Histogram;
        }

        return type == typeof(Counter<>) || type == typeof(ObservableCounter<>) ? MetricKind.Counter : MetricKind.Gauge;
    }

    private static bool IsGauge(Instrument instrument) => instrument.GetType().GetGenericTypeDefinition() == typeof(Gauge<>);

    /// <summary>Where an instrument's measurements go; <c>SetsValue</c>: the measurement is the value, not a change of it.</summary>
    private sealed record InstrumentSink(MetricFamily Family, bool SetsValue);
}
