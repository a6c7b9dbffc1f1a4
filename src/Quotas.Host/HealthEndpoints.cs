using Grains.Client;
using Grains.Hosting;

namespace Quotas.Host;

/// <summary>
/// <c>/health/live</c>: the process answers (no storage or grain call). <c>/health/ready</c>: storage reachable and
/// the silo Active and a member of its cluster (or, for a gateway, an Active silo answering a ping within 2 s); false
/// while draining (see <see cref="Draining"/>). Requests that come while a check runs share its answer.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan s_siloConnectTimeout = TimeSpan.FromSeconds(2);

    public static void MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Text("live\n"));
        // One storage and cluster check at a time, shared by the requests that come while it runs; its own timeouts
        // bound it, so a caller that goes away does not cut it short for the others.
        var storage = app.Services.GetRequiredService<StorageProbe>();
        var shared = new SharedCheck(async () => await storage.CheckAsync(CancellationToken.None) ?? await ClusterProblemAsync(app.Services, CancellationToken.None));
        app.MapGet("/health/ready", async (HttpContext context, Draining draining) =>
        {
            var problem = draining.IsDraining ? "draining: the process is stopping" : await shared.CheckAsync(context.RequestAborted);
            return problem is null ? Results.Text("ready\n") : Results.Text(problem + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
    }

    private static async Task<string?> ClusterProblemAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (services.GetService<Silo>() is { } silo)
        {
            // Active but taking no activations: the cluster has declared it dead, and it stops itself shortly.
            return silo.Status != SiloStatus.Active ? $"silo is {silo.Status}"
                : silo.Cluster is { AcceptsActivations: false } ? "silo is no longer a member of the cluster (declared dead); it stops"
                : null;
        }

        var client = services.GetRequiredService<ClusterClient>();
        if (client.Membership.ActiveSilos.Count == 0)
        {
            return "no Active silo in the cluster";
        }

        return await client.CanReachAnActiveSiloAsync(s_siloConnectTimeout, cancellationToken)
            ? null
            : $"no Active silo could be reached within {s_siloConnectTimeout.TotalSeconds:0} s ({client.Membership.ActiveSilos.Count} listed)";
    }
}
