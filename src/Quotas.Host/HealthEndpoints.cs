using Grains.Client;
using Grains.Hosting;

namespace Quotas.Host;

/// <summary>
/// <c>/health/live</c>: the process answers (no storage or grain call). <c>/health/ready</c>: storage reachable and
/// the silo Active (or, for a gateway, at least one Active silo known); false while draining (see <see cref="Draining"/>).
/// </summary>
internal static class HealthEndpoints
{
    public static void MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Text("live\n"));
        app.MapGet("/health/ready", async (HttpContext context, StorageProbe storage, Draining draining) =>
        {
            var problem = draining.IsDraining
                ? "draining: the process is stopping"
                : await storage.CheckAsync(context.RequestAborted) ?? ClusterProblem(context.RequestServices);
            return problem is null ? Results.Text("ready\n") : Results.Text(problem + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
    }

    private static string? ClusterProblem(IServiceProvider services)
    {
        if (services.GetService<Silo>() is { } silo)
        {
            return silo.Status == SiloStatus.Active ? null : $"silo is {silo.Status}";
        }

        var client = services.GetRequiredService<ClusterClient>();
        return client.Membership.ActiveSilos.Count > 0 ? null : "no Active silo in the cluster";
    }
}
