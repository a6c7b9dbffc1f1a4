using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quotas.LoadTest.Redis;

namespace Quotas.LoadTest.Servers;

/// <summary>
/// <c>serve &lt;kind&gt;</c>: one baseline server, a slim Kestrel app on loopback, run as a child of the generator.
/// Every kind answers <c>POST /hits/{tenant}</c> with 200 or 429, <c>GET /health</c> once it can serve, and
/// <c>GET /gc</c> with what the process's collector did so far (bytes allocated, collections, pause time).
/// </summary>
internal static class ServeCommand
{
    public const string Name = "serve";
    public const string HitsRoute = "/hits/{tenant}";
    public const string HealthPath = "/health";
    public const string GcPath = "/gc";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        if (ServeOptions.Parse(args, errors) is not { } options)
        {
            errors.ForEach(Console.Error.WriteLine);
            return 2;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // As in the product's host (its appsettings.json): no Activity and no logging scope per request, which would
        // otherwise be a third of every baseline's bytes per request and set them apart by configuration alone.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));
        switch (options.Kind)
        {
            case ServeKind.AspNetLimiter:
                AspNetLimiterServer.AddServices(builder, options);
                break;
            case ServeKind.Redis:
                try
                {
                    await RedisLimiterServer.AddServicesAsync(builder, options, cancellationToken);
                }
                catch (Exception e) when (e is SocketException or RespException or TimeoutException)
                {
                    Console.Error.WriteLine($"serve redis: no Redis to use on 127.0.0.1:{options.RedisPort}: {e.Message}");
                    return 1;
                }

                break;
        }

        await using var app = builder.Build();
        app.MapGet(HealthPath, static () => Results.Text("ready\n"));
        // What the collector did so far, read by the load test between steps (bytes per request, collections, pauses).
        app.MapGet(GcPath, static () => Results.Text(GcText()));
        switch (options.Kind)
        {
            case ServeKind.Constant:
                ConstantServer.Map(app);
                break;
            case ServeKind.AspNetLimiter:
                AspNetLimiterServer.Map(app);
                break;
            case ServeKind.Redis:
                RedisLimiterServer.Map(app);
                break;
        }

        if (options.ParentPid is { } parent)
        {
            _ = ParentWatch.StopWhenGoneAsync(parent, app.Lifetime);
        }

        await app.RunAsync(cancellationToken);
        return 0;
    }

    /// <summary>Bytes allocated, collections of any generation and pause ticks, on one line (read by Targets/GcProbe).</summary>
    private static string GcText() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture, $"{GC.GetTotalAllocatedBytes()} {GC.CollectionCount(0)} {GC.GetTotalPauseDuration().Ticks}\n");
}
