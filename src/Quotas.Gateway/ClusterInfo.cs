using Grains.Client;
using Grains.Cluster;
using Grains.Hosting;
using Microsoft.Extensions.Logging;
using Quotas.Gateway.Api;
using Quotas.Gateway.Endpoints;

namespace Quotas.Gateway;

/// <summary>
/// The silos of the cluster for <c>GET /v1/cluster/silos</c>, read from the membership table at each request (an admin
/// route, called rarely): status as the table has it, and each silo's activation count as of its last heartbeat. The
/// silo answering in this process reports its own count live. Without a cluster (the embedded mode) the one local silo.
/// </summary>
/// <param name="silo">The silo of this process, if it runs one.</param>
/// <param name="client">The cluster client of this process, if it is a gateway without a silo.</param>
/// <param name="table">The membership table; null without a cluster.</param>
/// <param name="logger">Where a failed read of the table is reported.</param>
public sealed partial class ClusterInfo(Silo? silo, ClusterClient? client, IMembershipTable? table, ILogger<ClusterInfo> logger) : IClusterInfo
{
    public async Task<IReadOnlyList<SiloInfo>> SilosAsync(CancellationToken cancellationToken)
    {
        var cached = silo?.Membership ?? client?.Membership;
        if (cached is null || table is null)
        {
            var local = silo ?? throw new InvalidOperationException("ClusterInfo needs a silo, or a cluster client and its membership table.");
            return [new SiloInfo("local", local.Status.ToString(), local.ActivationCount)];
        }

        var snapshot = await ReadFreshAsync(table, cancellationToken) ?? cached;
        return [.. snapshot.Entries
            .Where(e => e.Status != MembershipStatus.Dead)
            .OrderBy(e => e.Silo)
            .Select(e => new SiloInfo(e.Silo.ToString(), e.Status.ToString(), IsThisProcess(e.Silo) ? silo!.ActivationCount : e.Activations))];
    }

    private bool IsThisProcess(SiloAddress address) => silo?.Cluster is { HasJoined: true } self && self.Is(address);

    /// <summary>The table as it is now; null when it cannot be read, and the view this process already holds is used.</summary>
    private async Task<MembershipSnapshot?> ReadFreshAsync(IMembershipTable membership, CancellationToken cancellationToken)
    {
        try
        {
            return await membership.ReadAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogTableUnreadable(exception, membership.Target);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The membership table at {Target} could not be read; the cluster route answers from this process's last view")]
    private partial void LogTableUnreadable(Exception exception, string target);
}
