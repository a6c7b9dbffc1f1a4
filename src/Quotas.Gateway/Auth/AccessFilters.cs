using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Quotas.Core.Tenants;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Auth;

/// <summary>
/// Who may call a route, checked right after routing and before the body is read (so a stranger learns nothing from
/// validation errors). Admin routes need the admin key (a tenant or worker key gets 403). Tenant routes
/// (<c>/v1/tenants/{tenantId}/...</c>) take the admin key or that tenant's own key; another tenant's key gets the same
/// 404 as a tenant that does not exist, so a key reveals nothing about other tenants. Worker routes take the admin key
/// or a worker key of their pool.
/// </summary>
public static class AccessFilters
{
    // Each declares the answers of its check (see CheckAsync), so that the OpenAPI document lists them on every route.
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(Access.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status403Forbidden);

    // Every such route names its tenant in the path: another tenant's key gets the 404 of an unknown tenant, and a
    // tenant id that is not valid a 400.
    public static TBuilder RequireTenantOrAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(Access.TenantOrAdmin)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status404NotFound);

    // Worker routes (/v1/pools/{poolId}/...) take the admin key or a worker key of that pool; a worker key of another
    // pool gets the 404 of a pool that does not exist, a tenant key 403.
    public static TBuilder RequireWorkerOrAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(Access.WorkerOrAdmin)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

    /// <summary>The middleware that enforces the routes' access metadata; runs after UseRouting.</summary>
    public static IApplicationBuilder UseAccessChecks(this IApplicationBuilder app)
    {
        var callers = app.ApplicationServices.GetRequiredService<CallerResolver>();
        return app.Use(next => context =>
        {
            var access = context.GetEndpoint()?.Metadata.GetMetadata<Access>();
            if (access is null)
            {
                return next(context);
            }

            // A key verified lately is answered from the resolver's cache without waiting; going on without an async
            // method then spares every such request a state machine on the heap (the gateway's hottest path).
            var check = CheckAsync(context, access, callers);
            return check.IsCompletedSuccessfully ? Proceed(context, next, check.Result) : ProceedAfterAsync(context, next, check);
        });
    }

    private static Task Proceed(HttpContext context, RequestDelegate next, IResult? refusal) =>
        refusal is null ? next(context) : refusal.ExecuteAsync(context);

    private static async Task ProceedAfterAsync(HttpContext context, RequestDelegate next, ValueTask<IResult?> check) =>
        await Proceed(context, next, await check);

    private static async ValueTask<IResult?> CheckAsync(HttpContext context, Access access, CallerResolver callers)
    {
        var (caller, uncheckedFor) = await callers.ResolveAsync(context);
        if (uncheckedFor is { } wait)
        {
            return Problem.KeyUnchecked(context, wait);
        }

        if (caller is null)
        {
            return Problem.Unauthorized(context, keyRejected: BearerChallenge.HasBearerKey(context.Request));
        }

        var tenantId = context.Request.RouteValues.TryGetValue("tenantId", out var value) ? value as string : null;
        if (access == Access.Admin && !caller.IsAdmin)
        {
            return Problem.Forbidden(context, workerKey: caller.PoolId is not null);
        }

        if (access == Access.WorkerOrAdmin)
        {
            var poolId = context.Request.RouteValues.TryGetValue("poolId", out var pool) ? pool as string : null;
            return caller.IsAdmin || (poolId is not null && caller.MayWorkFor(poolId)) ? null
                : caller.PoolId is null ? Problem.Forbidden(context, workerRoute: true)
                : Problem.NotFound(context, $"Pool '{poolId}' does not exist.");
        }

        // A worker key reaches its pool's worker routes (above) and nothing else, whatever a route names.
        if (caller.PoolId is not null)
        {
            return tenantId is null ? Problem.Forbidden(context, workerKey: true) : Problem.NotFound(context, $"Tenant '{tenantId}' does not exist.");
        }

        if (tenantId is not null && !caller.MayAccess(tenantId))
        {
            return Problem.NotFound(context, $"Tenant '{tenantId}' does not exist.");
        }

        return tenantId is not null && !TenantId.IsValid(tenantId)
            ? Problem.Validation(context, ValidationCodes.InvalidTenantId, "The tenant id in the path is invalid: use 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit.")
            : null;
    }

    /// <summary>Endpoint metadata: who may call the route.</summary>
    public sealed class Access
    {
        public static readonly Access Admin = new();
        public static readonly Access TenantOrAdmin = new();
        public static readonly Access WorkerOrAdmin = new();

        private Access()
        {
        }
    }
}
