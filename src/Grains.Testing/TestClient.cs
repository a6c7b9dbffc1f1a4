using System.Reflection;
using Grains.Client;
using Grains.Cluster;
using Grains.Hosting;
using Grains.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Grains.Testing;

/// <summary>A cluster client in the test process, as a gateway or any .NET application would use one.</summary>
public sealed class TestClient : IAsyncDisposable
{
    private readonly IHost _host;
    private int _disposed;

    private TestClient(IHost host)
    {
        _host = host;
        GrainFactory = host.Services.GetRequiredService<IGrainFactory>();
        Client = host.Services.GetRequiredService<ClusterClient>();
    }

    public IGrainFactory GrainFactory { get; }

    public ClusterClient Client { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>Starts a client of the cluster whose membership lives in <paramref name="membership"/>.</summary>
    public static async Task<TestClient> StartAsync(
        TestStorage membership,
        string clusterId,
        string serviceId,
        IEnumerable<Assembly> applicationParts,
        Action<MembershipOptions>? configureMembership = null,
        Action<ILoggingBuilder>? configureLogging = null,
        Action<TransportOptions>? configureEndpoint = null,
        CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddGrainsClient(client =>
        {
            membership.AddMembershipTo(client);
            client.ConfigureMembership(options =>
            {
                options.ClusterId = clusterId;
                TestClusterOptions.FastFailureDetection(options);
                configureMembership?.Invoke(options);
            });
            foreach (var part in applicationParts)
            {
                client.AddApplicationPart(part);
            }
        });
        builder.Services.Configure<GrainsOptions>(grains => grains.ServiceId = serviceId);
        if (configureEndpoint is not null)
        {
            builder.Services.Configure(configureEndpoint);
        }

        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new TestClient(host);
    }

    /// <summary>Waits until the client routes by a view with exactly <paramref name="activeSilos"/> Active silos.</summary>
    public async Task WaitForActiveSilosAsync(int activeSilos, TimeSpan timeout)
    {
        var view = _host.Services.GetRequiredService<MembershipView>();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = view.Subscribe(snapshot =>
        {
            if (snapshot.ActiveSilos.Count == activeSilos)
            {
                seen.TrySetResult();
            }
        });

        // After subscribing: a snapshot published before is the current one, checked here.
        if (view.Current.ActiveSilos.Count == activeSilos)
        {
            return;
        }

        try
        {
            await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The client sees {Client.Membership} after {timeout}; expected {activeSilos} active silos.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _host.StopAsync();
        _host.Dispose();
    }
}
