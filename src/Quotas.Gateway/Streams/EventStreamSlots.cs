using System.Diagnostics.Metrics;

namespace Quotas.Gateway.Streams;

/// <summary>
/// Counts the event streams this gateway holds open, up to <see cref="GatewayOptions.MaxEventStreams"/> and to
/// <see cref="GatewayOptions.MaxEventStreamsPerTenant"/> of one tenant: each stream asks its tenant's grain every
/// interval for as long as it lasts, so their number is bounded like any other load, and no tenant takes them all.
/// Both show in <c>/metrics</c> (<c>quotas_gateway_event_streams</c>, <c>quotas_gateway_event_streams_refused_total</c>),
/// so that an operator sees a gateway near its bound before clients fall back to polling.
/// </summary>
internal sealed class EventStreamSlots
{
    public const string MeterName = "Quotas.Gateway";

    private readonly GatewayOptions _options;
    private readonly Dictionary<string, int> _openPerTenant = new(StringComparer.Ordinal);
    private int _open;
    private long _refusedForGateway;
    private long _refusedForTenant;

    public EventStreamSlots(GatewayOptions options, IMeterFactory meters)
    {
        _options = options;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("quotas.gateway.event_streams", () => (long)Open, "{stream}", "Usage event streams this gateway holds open.");
        // Observed at each scrape, so that both series show from the start, at zero.
        meter.CreateObservableCounter(
            "quotas.gateway.event_streams.refused",
            () => new[]
            {
                new Measurement<long>(Interlocked.Read(ref _refusedForGateway), new KeyValuePair<string, object?>("reason", "gateway")),
                new Measurement<long>(Interlocked.Read(ref _refusedForTenant), new KeyValuePair<string, object?>("reason", "tenant")),
            },
            "{stream}",
            "Usage event streams refused: reason gateway when the gateway held MaxEventStreams, tenant when the tenant held MaxEventStreamsPerTenant.");
    }

    public int Open => Volatile.Read(ref _open);

    /// <summary>Raised when a stream gives its slot back (the request ended, on whatever thread noticed it).</summary>
    public event Action? Freed;

    /// <summary>
    /// A slot for one stream of <paramref name="tenantId"/> (null: a stream the tenant's bound does not count, an
    /// operator's with the admin key, which the tenant's own streams must not lock out), or null when all are taken
    /// (<paramref name="tenantFull"/> false) or the tenant's are (true); disposing the slot frees it (once).
    /// </summary>
    public IDisposable? TryTake(string? tenantId, out bool tenantFull)
    {
        lock (_openPerTenant)
        {
            var ofTenant = tenantId is null ? 0 : _openPerTenant.GetValueOrDefault(tenantId);
            tenantFull = tenantId is not null && ofTenant >= _options.MaxEventStreamsPerTenant;
            if (tenantFull || _open >= _options.MaxEventStreams)
            {
                Interlocked.Increment(ref tenantFull ? ref _refusedForTenant : ref _refusedForGateway);
                return null;
            }

            if (tenantId is not null)
            {
                _openPerTenant[tenantId] = ofTenant + 1;
            }

            Volatile.Write(ref _open, _open + 1);
        }

        return new Slot(this, tenantId);
    }

    private void Free(string? tenantId)
    {
        lock (_openPerTenant)
        {
            if (tenantId is not null)
            {
                var left = _openPerTenant[tenantId] - 1;
                if (left == 0)
                {
                    _openPerTenant.Remove(tenantId);
                }
                else
                {
                    _openPerTenant[tenantId] = left;
                }
            }

            Volatile.Write(ref _open, _open - 1);
        }

        Freed?.Invoke();
    }

    private sealed class Slot(EventStreamSlots owner, string? tenantId) : IDisposable
    {
        private int _freed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _freed, 1) == 0)
            {
                owner.Free(tenantId);
            }
        }
    }
}
