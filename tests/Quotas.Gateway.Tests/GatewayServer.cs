using Grains;
using Grains.Cluster;
using Grains.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Quotas.Gateway.Api;
using Quotas.Gateway.Endpoints;
using Quotas.Gateway.Metrics;
using Quotas.Grains.Scheduling;

namespace Quotas.Gateway.Tests;

/// <summary>Where a gateway under test sends its grain calls.</summary>
public enum Backend
{
    /// <summary>One silo on a SQLite file, called in-process, as the embedded mode does.</summary>
    EmbeddedSqlite,

    /// <summary>Two silos on PostgreSQL; the gateway is a cluster client calling them over TCP.</summary>
    PostgreSqlCluster,
}

/// <summary>The real gateway (Kestrel on a free loopback port) in front of real silos.</summary>
public sealed class GatewayServer : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789abcdef0123456789";

    private readonly TestCluster _cluster;
    private readonly TestClient? _client;
    private readonly WebApplication _app;
    private bool _stopped;

    private GatewayServer(TestCluster cluster, TestClient? client, WebApplication app, Uri address)
    {
        _cluster = cluster;
        _client = client;
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public TestCluster Cluster => _cluster;

    /// <summary>The gateway's cluster client; null in the embedded mode, where the gateway calls its silo in-process.</summary>
    public TestClient? ClusterClient => _client;

    public IServiceProvider Services => _app.Services;

    /// <param name="backend">Where the gateway's grain calls go.</param>
    /// <param name="configure">Changes to the gateway's settings.</param>
    /// <param name="time">The silos' clock.</param>
    /// <param name="wrapGrains">Wraps the grain factory the gateway calls through, so that a test can hold or watch a call.</param>
    /// <param name="gatewayTime">The gateway's own clock (its key cache, its event streams' intervals); the system's when null.</param>
    /// <param name="inFront">Middleware put in front of the gateway, as a proxy would be.</param>
    public static async Task<GatewayServer> StartAsync(
        Backend backend,
        Action<GatewayOptions>? configure = null,
        TimeProvider? time = null,
        Func<IGrainFactory, IGrainFactory>? wrapGrains = null,
        TimeProvider? gatewayTime = null,
        Func<HttpContext, Func<Task>, Task>? inFront = null)
    {
        var storage = backend == Backend.EmbeddedSqlite ? TestStorage.Sqlite() : TestStorage.PostgreSql();
        var options = new TestClusterOptions
        {
            InitialSilos = backend == Backend.EmbeddedSqlite ? 1 : 2,
            Storage = storage,
            Membership = backend == Backend.EmbeddedSqlite ? null : storage,
            TimeProvider = time,
        };
        options.ApplicationParts.Add(typeof(FairShareSchedulerGrain).Assembly);
        var cluster = await TestCluster.StartAsync(options);
        var client = backend == Backend.EmbeddedSqlite ? null : await cluster.CreateClientAsync();
        var grains = client?.GrainFactory ?? cluster.GrainFactory;

        var gateway = new GatewayOptions { AdminKey = AdminKey };
        configure?.Invoke(gateway);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(wrapGrains is null ? grains : wrapGrains(grains));
        builder.Services.AddSingleton<IClusterInfo>(sp => new ClusterInfo(
            client is null ? cluster.PrimarySilo.Silo : null,
            client?.Client,
            client?.Services.GetRequiredService<IMembershipTable>(),
            sp.GetRequiredService<ILogger<ClusterInfo>>()));
        builder.Services.AddQuotasGateway(gateway);
        if (gatewayTime is not null)
        {
            builder.Services.AddSingleton(gatewayTime);
        }

        builder.Services.AddQuotasMetrics();
        var app = builder.Build();
        if (inFront is not null)
        {
            app.Use(inFront);
        }

        app.MapQuotasGateway();
        app.MapQuotasMetrics();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new GatewayServer(cluster, client, app, new Uri(address));
    }

    public HttpClient Admin() => Client(AdminKey);

    public HttpClient Client(string? key)
    {
        var http = new HttpClient { BaseAddress = Address };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        }

        return http;
    }

    /// <summary>Stops the gateway (as a host shutting down does) and leaves the silos running.</summary>
    public async Task StopGatewayAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopGatewayAsync();
        await _app.DisposeAsync();
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        await _cluster.DisposeAsync();
    }
}
