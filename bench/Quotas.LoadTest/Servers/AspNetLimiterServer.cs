using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Quotas.LoadTest.Servers;

/// <summary>
/// Baseline (b): ASP.NET Core's rate-limiting middleware with a partition per tenant, a sliding window of the quota's
/// limit and window in 10 segments, like the product's sliding window of 10 buckets; in process, on one node.
/// </summary>
internal static class AspNetLimiterServer
{
    private const string Policy = "per-tenant";

    public static void AddServices(WebApplicationBuilder builder, ServeOptions options) => builder.Services.AddRateLimiter(limiter =>
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.OnRejected = (context, _) => new ValueTask(JsonReplies.RefusedAsync(context.HttpContext.Response));
        limiter.AddPolicy(Policy, context => RateLimitPartition.GetSlidingWindowLimiter(
            context.Request.RouteValues["tenant"] as string ?? "",
            _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = (int)Math.Min(options.Limit, int.MaxValue),
                Window = TimeSpan.FromSeconds(options.WindowSeconds),
                SegmentsPerWindow = 10,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    });

    public static void Map(WebApplication app)
    {
        app.UseRateLimiter();
        app.MapPost(ServeCommand.HitsRoute, static context => JsonReplies.AllowedAsync(context.Response)).RequireRateLimiting(Policy);
    }
}
