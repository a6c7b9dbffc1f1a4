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
        v1.MapGet("/cluster/silos", ListSilos).WithTags("Cluster").WithName("ListSilos").RequireAdmin().IsPaged();

    /// <summary>
    /// The silos by address (ordinal), a page at a time, paged like every other list; the cursor is the last address of
    /// the page before. Membership is read afresh for each page, so a silo that joins or leaves meanwhile is listed or
    /// not by where its address sorts, as a tenant created during a tenant listing is.
    /// </summary>
    private static async Task<Page<SiloInfo>> ListSilos(HttpContext context, IClusterInfo cluster, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var size = Paging.Limit(limit);
        var after = (await cluster.SilosAsync(cancellationToken))
            .Where(s => cursor is null || string.CompareOrdinal(s.Address, cursor) > 0)
            .OrderBy(s => s.Address, StringComparer.Ordinal)
            .ToList();
        var page = after.Take(size).ToList();
        // A next cursor only when more silos follow, so that a client never fetches an empty last page.
        return Paging.Page(context, page, after.Count > size ? page[^1].Address : null);
    }
}

/// <summary>What this process knows of the cluster's silos; <see cref="ClusterInfo"/> reads it from membership.</summary>
public interface IClusterInfo
{
    Task<IReadOnlyList<SiloInfo>> SilosAsync(CancellationToken cancellationToken);
}
