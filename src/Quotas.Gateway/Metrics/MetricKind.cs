namespace Quotas.Gateway.Metrics;

/// <summary>The Prometheus metric types this exporter writes.</summary>
internal enum MetricKind
{
    /// <summary>Monotonic, cumulative since the process started.</summary>
    Counter,

    /// <summary>A value that goes up and down: observed gauges and up-down counters.</summary>
    Gauge,

    /// <summary>Cumulative buckets with their sum and count.</summary>
    Histogram,
}
