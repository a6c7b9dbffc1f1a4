using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;

namespace Quotas.Gateway.Endpoints;

/// <summary>The silos of the cluster as this gateway sees them (admin).</summary>
internal static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this RouteGroupBuilder v1) =>
        v1.MapGet("/cluster/silos", (IClusterInfo cluster, CancellationToken cancellationToken) => cluster.SilosAsync(cancellationToken)).WithTags("Cluster").WithName("ListSilos").RequireAdmin();
}

/// <summary>What this process knows of the cluster's silos; <see cref="ClusterInfo"/> reads it from membership.</summary>
public interface IClusterInfo
{
    Task<IReadOnlyList<SiloInfo>> SilosAsync(CancellationToken cancellationToken);
}
