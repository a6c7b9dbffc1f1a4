using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Grains.Cluster;
using Grains.Hosting;

namespace Grains.Diagnostics;

/// <summary>
/// The runtime's gauges on the <c>Grains</c> meter, observed from every running silo of the process: activations by
/// grain type, and the membership as each silo reads it; and from every cluster client (a gateway process), the
/// membership it routes by. Labels are bounded: silo, grain type, membership status, cluster id.
/// </summary>
public static class SiloMetrics
{
    public const string MeterName = "Grains";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly ConcurrentDictionary<Silo, byte> s_running = new();
    private static readonly ConcurrentDictionary<Client.ClusterClient, string> s_clients = new();

    static SiloMetrics()
    {
        s_meter.CreateObservableGauge("grains.activations", ObserveActivations, "{activation}", "Live activations in the silo, by grain type.");
        s_meter.CreateObservableGauge("grains.membership.silos", ObserveMembership, "{silo}", "Silos in the membership table as this silo reads it, by status.");
        s_meter.CreateObservableGauge("grains.membership.version", ObserveVersion, "{version}", "The membership table version this silo last read.");
        s_meter.CreateObservableGauge("grains.client.membership.silos", ObserveClientMembership, "{silo}", "Silos in the membership a cluster client routes by, by status.");
        s_meter.CreateObservableGauge("grains.client.membership.version", ObserveClientVersion, "{version}", "The membership table version a cluster client routes by.");
    }

    internal static void ClientStarted(Client.ClusterClient client, string clusterId) => s_clients[client] = clusterId;

    internal static void ClientStopped(Client.ClusterClient client) => s_clients.TryRemove(client, out _);

    private static IEnumerable<Measurement<long>> ObserveClientMembership()
    {
        foreach (var (client, cluster) in s_clients)
        {
            var entries = client.Membership.Entries;
            foreach (var status in Enum.GetValues<MembershipStatus>())
            {
                yield return new Measurement<long>(entries.Count(e => e.Status == status), new("cluster", cluster), new("status", StatusLabel(status)));
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObserveClientVersion()
    {
        foreach (var (client, cluster) in s_clients)
        {
            yield return new Measurement<long>(client.Membership.Version, new KeyValuePair<string, object?>("cluster", cluster));
        }
    }

    internal static void Started(Silo silo) => s_running.TryAdd(silo, 0);

    internal static void Stopped(Silo silo) => s_running.TryRemove(silo, out _);

    private static IEnumerable<Measurement<long>> ObserveActivations()
    {
        foreach (var silo in s_running.Keys)
        {
            var name = SiloLabel(silo);
            foreach (var (type, count) in silo.ActivationCountsByType())
            {
                yield return new Measurement<long>(count, new("silo", name), new("grain_type", type));
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObserveMembership()
    {
        foreach (var silo in s_running.Keys)
        {
            if (silo.Membership is not { } membership)
            {
                continue;
            }

            var name = SiloLabel(silo);
            foreach (var status in Enum.GetValues<MembershipStatus>())
            {
                var count = membership.Entries.Count(e => e.Status == status);
                yield return new Measurement<long>(count, new("silo", name), new("status", StatusLabel(status)));
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObserveVersion()
    {
        foreach (var silo in s_running.Keys)
        {
            if (silo.Membership is { } membership)
            {
                yield return new Measurement<long>(membership.Version, new KeyValuePair<string, object?>("silo", SiloLabel(silo)));
            }
        }
    }

    /// <summary>
    /// The silo's host and port, without the generation its address carries: a silo started again at the same place
    /// goes on with the same series, as a restarted target does in Prometheus, rather than a new one at every start.
    /// An IPv6 address is bracketed, as in a URL, so that its colons are not read as the port's.
    /// </summary>
    private static string SiloLabel(Silo silo) => silo.Cluster is { HasJoined: true } self ? HostAndPort(self.Address) : "local";

    internal static string HostAndPort(SiloAddress address)
    {
        var port = address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return address.Host.Contains(':', StringComparison.Ordinal) ? $"[{address.Host}]:{port}" : $"{address.Host}:{port}";
    }

    private static string StatusLabel(MembershipStatus status) => status switch
    {
        MembershipStatus.Joining => "joining",
        MembershipStatus.Active => "active",
        MembershipStatus.ShuttingDown => "shutting_down",
        MembershipStatus.Dead => "dead",
        _ => "unknown",
    };
}
