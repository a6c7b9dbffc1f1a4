using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Quotas.Gateway.Auth;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Metrics;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format, for every role of the host. Without a scrape key, unauthenticated,
/// like a scrape target on an internal network: it carries no tenant or pool labels. With one, only a request that
/// sends it as a bearer token is answered (compared in constant time); any other gets 401 with its challenge.
/// </summary>
public static class MetricsEndpoint
{
    public static IServiceCollection AddQuotasMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton(provider => new MetricsCollector(
            MetricsCollector.DefaultMeters,
            provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            provider.GetRequiredService<ILogger<MetricsCollector>>()));
        return services;
    }

    public static IEndpointRouteBuilder MapQuotasMetrics(this IEndpointRouteBuilder endpoints, string? scrapeKey = null)
    {
        // Resolved now, so that the listener counts from the first request on.
        var collector = endpoints.ServiceProvider.GetRequiredService<MetricsCollector>();
        var key = scrapeKey is null ? null : new AdminKey(scrapeKey); // a secret held as its hash, as the admin key is
        endpoints.MapGet("/metrics", (HttpContext context) =>
            {
                if (key is null)
                {
                    return Results.Text(collector.Scrape(), PrometheusText.ContentType);
                }

                var header = context.Request.Headers.Authorization.ToString();
                var sent = CallerResolver.TryGetBearerKey(header, out var candidate);
                if (sent && key.Matches(candidate.ToString()))
                {
                    return Results.Text(collector.Scrape(), PrometheusText.ContentType);
                }

                context.Response.Headers.WWWAuthenticate = sent ? BearerChallenge.KeyRejected : BearerChallenge.KeyMissing;
                return Problem.Result(context, Problem.Details(context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized, "Unauthorized",
                    $"{(sent ? "That is not the metrics key" : "No metrics key was sent")}: send the key set in Quotas:MetricsKey as 'Authorization: Bearer <key>'.",
                    "unauthorized"));
            })
            .ExcludeFromDescription();
        return endpoints;
    }
}
