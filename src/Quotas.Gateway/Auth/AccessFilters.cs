using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Quotas.Core.Tenants;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Auth;

/// <summary>
/// Endpoint filters that decide who may call a route. Admin routes need the admin key (a tenant key gets 403).
/// Tenant routes (<c>/v1/tenants/{tenantId}/...</c>) take the admin key or that tenant's own key; another tenant's key
/// gets the same 404 as a tenant that does not exist, so a key reveals nothing about other tenants.
/// </summary>
public static class AccessFilters
{
    private const string CallerItem = "quotas.caller";

    public static Caller Caller(this HttpContext context) => (Caller)context.Items[CallerItem]!;

    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) =>
        {
            var caller = await AuthenticateAsync(invocation.HttpContext);
            if (caller is null)
            {
                return Problem.Unauthorized(invocation.HttpContext);
            }

            if (!caller.IsAdmin)
            {
                return Problem.Forbidden(invocation.HttpContext);
            }

            return InvalidTenantRoute(invocation.HttpContext) ?? await next(invocation);
        });

    public static TBuilder RequireTenantOrAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var caller = await AuthenticateAsync(context);
            if (caller is null)
            {
                return Problem.Unauthorized(context);
            }

            var tenantId = context.Request.RouteValues["tenantId"] as string ?? "";
            if (!caller.MayAccess(tenantId))
            {
                return Problem.NotFound(context, $"Tenant '{tenantId}' does not exist.");
            }

            return InvalidTenantRoute(context) ?? await next(invocation);
        });

    private static IResult? InvalidTenantRoute(HttpContext context) =>
        context.Request.RouteValues.TryGetValue("tenantId", out var value) && !TenantId.IsValid(value as string)
            ? Problem.Validation(context, ValidationCodes.InvalidTenantId, "The tenant id in the path is invalid: use 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit.")
            : null;

    private static async ValueTask<Caller?> AuthenticateAsync(HttpContext context)
    {
        var caller = await context.RequestServices.GetRequiredService<CallerResolver>().ResolveAsync(context);
        if (caller is not null)
        {
            context.Items[CallerItem] = caller;
        }

        return caller;
    }
}
