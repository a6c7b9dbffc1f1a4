using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Quotas.Gateway.Metrics;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format, for every role of the host. Unauthenticated, like a scrape target
/// on an internal network: it carries no tenant or pool labels.
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

    public static IEndpointRouteBuilder MapQuotasMetrics(this IEndpointRouteBuilder endpoints)
    {
        // Resolved now, so that the listener counts from the first request on.
        var collector = endpoints.ServiceProvider.GetRequiredService<MetricsCollector>();
        endpoints.MapGet("/metrics", () => Results.Text(collector.Scrape(), PrometheusText.ContentType))
            .ExcludeFromDescription();
        return endpoints;
    }
}
