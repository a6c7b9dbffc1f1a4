using Grains.Client;
using Grains.Hosting;

namespace Quotas.Host;

/// <summary>
/// <c>/health/live</c>: the process answers (no storage or grain call). <c>/health/ready</c>: storage reachable and
/// the silo Active (or, for a gateway, an Active silo answering a ping within 2 s); false while draining
/// (see <see cref="Draining"/>).
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan s_siloConnectTimeout = TimeSpan.FromSeconds(2);

    public static void MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Text("live\n"));
        app.MapGet("/health/ready", async (HttpContext context, StorageProbe storage, Draining draining) =>
        {
            var problem = draining.IsDraining
                ? "draining: the process is stopping"
                : await storage.CheckAsync(context.RequestAborted) ?? await ClusterProblemAsync(context.RequestServices, context.RequestAborted);
            return problem is null ? Results.Text("ready\n") : Results.Text(problem + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
    }

    private static async Task<string?> ClusterProblemAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (services.GetService<Silo>() is { } silo)
        {
            return silo.Status == SiloStatus.Active ? null : $"silo is {silo.Status}";
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
