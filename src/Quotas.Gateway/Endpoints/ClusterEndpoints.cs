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
        v1.MapGet("/cluster/silos", (IClusterInfo cluster) => cluster.Silos()).WithTags("Cluster").WithName("ListSilos").RequireAdmin();
}

/// <summary>What the host knows of the cluster; implemented by the host, which owns the silo or the cluster client.</summary>
public interface IClusterInfo
{
    IReadOnlyList<SiloInfo> Silos();
}
