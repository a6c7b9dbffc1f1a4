using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Quotas.LoadTest.Redis;

namespace Quotas.LoadTest.Servers;

/// <summary>Baseline (c): a fixed window per tenant on Redis behind a minimal endpoint, over one pipelined connection.</summary>
internal static class RedisLimiterServer
{
    /// <summary>Connects before the server starts listening, so that a ready server is a server with Redis.</summary>
    public static async Task AddServicesAsync(WebApplicationBuilder builder, ServeOptions options, CancellationToken cancellationToken)
    {
        var connection = await RespConnection.ConnectAsync(options.RedisPort!.Value, cancellationToken);
        var pong = await connection.SendAsync(RespCommand.Ping()).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        if (pong.Text != "PONG")
        {
            throw new RespException($"Redis answered PING with {pong.Kind} '{pong.Text}'.");
        }

        builder.Services.AddSingleton(connection);
        builder.Services.AddSingleton(new RedisFixedWindow(connection, options.Limit, options.WindowSeconds, TimeProvider.System));
    }

    public static void Map(WebApplication app) => app.MapPost(ServeCommand.HitsRoute, static async context =>
    {
        var limiter = context.RequestServices.GetRequiredService<RedisFixedWindow>();
        var tenant = (string)context.Request.RouteValues["tenant"]!;
        await (await limiter.TryHitAsync(tenant) ? JsonReplies.AllowedAsync(context.Response) : JsonReplies.RefusedAsync(context.Response));
    });
}
