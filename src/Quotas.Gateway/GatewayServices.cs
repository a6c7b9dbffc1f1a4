using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Quotas.Gateway.Auth;
using Quotas.Gateway.Dashboard;
using Quotas.Gateway.Endpoints;
using Quotas.Gateway.Problems;
using Quotas.Gateway.Streams;

namespace Quotas.Gateway;

/// <summary>Registers the REST API's services and maps its routes under <c>/v1</c>.</summary>
public static class GatewayServices
{
    public static IServiceCollection AddQuotasGateway(this IServiceCollection services, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton(new AdminKey(string.IsNullOrEmpty(options.AdminKey) ? GeneratedAdminKey() : options.AdminKey));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<CallerResolver>();
        services.AddMetrics();
        services.AddSingleton<EventStreamSlots>();
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = StatusProblems.Complete);
        services.AddExceptionHandler<ExceptionProblems>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(json => ApiJson.Configure(json.SerializerOptions));
        services.AddOpenApi("v1", openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Quotas API";
            document.Info.Description = "Multi-tenant quotas, rate limits and fair-share job scheduling. Errors are RFC 9457 problem details.";
            // The document describes the API, not the address it was fetched from: it stays the same on every host.
            document.Servers = [];
            return Task.CompletedTask;
        }).AddDocumentTransformer(new BearerSecurityScheme()).AddOperationTransformer(new ResponsesByStatus()).AddOperationTransformer(new TextResponses()).AddOperationTransformer(new HeadersDocumented())
            .AddSchemaTransformer(new IsoTimeSchema()).AddSchemaTransformer(new EnumSchema()));
        return services;
    }

    public static WebApplication MapQuotasGateway(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<GatewayOptions>();
        if (string.IsNullOrEmpty(options.AdminKey))
        {
            LogGeneratedAdminKey(app.Logger, app.Services.GetRequiredService<AdminKey>().Value);
        }

        // Created now rather than at the first stream, so that its metrics show from the start.
        app.Services.GetRequiredService<EventStreamSlots>();
        app.UseForwardedClients(options.TrustedProxies);
        app.UseExceptionHandler();
        app.UseProblemsForEmptyErrors();
        app.UseRouting();
        app.UseAccessChecks();
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = options.MaxRequestBodyBytes;
            }

            return next(context);
        });

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapDashboard();
        var v1 = app.MapGroup("/v1");
        v1.MapTenantEndpoints();
        v1.MapApiKeyEndpoints();
        v1.MapAdmissionEndpoints();
        v1.MapUsageEndpoints();
        v1.MapBillingEndpoints();
        v1.MapJobEndpoints();
        v1.MapPoolEndpoints();
        v1.MapWorkerKeyEndpoints();
        v1.MapClusterEndpoints();
        return app;
    }

    private static string GeneratedAdminKey() => "qa_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private static void LogGeneratedAdminKey(ILogger logger, string key) =>
        logger.LogWarning("No Quotas:Gateway:AdminKey configured; the admin key of this run is {AdminKey}. Configure one for anything but a trial.", key);
}
