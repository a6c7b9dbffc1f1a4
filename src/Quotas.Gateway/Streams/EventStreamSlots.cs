using System.Diagnostics.Metrics;

namespace Quotas.Gateway.Streams;

/// <summary>
/// Counts the event streams this gateway holds open, up to <see cref="GatewayOptions.MaxEventStreams"/>: each stream
/// asks its tenant's grain every interval for as long as it lasts, so their number is bounded like any other load.
/// Both show in <c>/metrics</c> (<c>quotas_gateway_event_streams</c>, <c>quotas_gateway_event_streams_refused_total</c>),
/// so that an operator sees a gateway near its bound before clients fall back to polling.
/// </summary>
internal sealed class EventStreamSlots
{
    public const string MeterName = "Quotas.Gateway";

    private readonly GatewayOptions _options;
    private int _open;
    private long _refused;

    public EventStreamSlots(GatewayOptions options, IMeterFactory meters)
    {
        _options = options;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("quotas.gateway.event_streams", () => (long)Open, "{stream}", "Usage event streams this gateway holds open.");
        // Observed at each scrape, so that both series show from the start, at zero.
        meter.CreateObservableCounter("quotas.gateway.event_streams.refused", () => Interlocked.Read(ref _refused), "{stream}", "Usage event streams refused because the gateway held MaxEventStreams.");
    }

    public int Open => Volatile.Read(ref _open);

    /// <summary>Raised when a stream gives its slot back (the request ended, on whatever thread noticed it).</summary>
    public event Action? Freed;

    /// <summary>A slot for one stream, or null when all are taken; disposing the slot frees it (once).</summary>
    public IDisposable? TryTake()
    {
        if (Interlocked.Increment(ref _open) > _options.MaxEventStreams)
        {
            Interlocked.Decrement(ref _open);
            Interlocked.Increment(ref _refused);
            return null;
        }

        return new Slot(this);
    }

    private sealed class Slot(EventStreamSlots owner) : IDisposable
    {
        private int _freed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _freed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._open);
                owner.Freed?.Invoke();
            }
        }
    }
}
