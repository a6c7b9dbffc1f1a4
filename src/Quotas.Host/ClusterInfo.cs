using Grains.Client;
using Grains.Cluster;
using Grains.Hosting;
using Quotas.Gateway.Api;
using Quotas.Gateway.Endpoints;

namespace Quotas.Host;

/// <summary>
/// The silos from this process's membership view. The activation count is known for this process's own silo only;
/// other silos report null (their counts are not part of the membership table).
/// </summary>
internal sealed class ClusterInfo(IServiceProvider services) : IClusterInfo
{
    public IReadOnlyList<SiloInfo> Silos()
    {
        var silo = services.GetService<Silo>();
        var membership = silo is not null ? silo.Membership : services.GetRequiredService<ClusterClient>().Membership;
        if (membership is null)
        {
            return [new SiloInfo("local", silo!.Status.ToString(), silo.ActivationCount)];
        }

        return [.. membership.Entries
            .Where(e => e.Status != MembershipStatus.Dead)
            .OrderBy(e => e.Silo)
            .Select(e => new SiloInfo(e.Silo.ToString(), e.Status.ToString(), silo?.Cluster is { HasJoined: true } self && self.Is(e.Silo) ? silo.ActivationCount : null))];
    }
}
