using Grains.Hosting;
using Grains.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Grains.Testing;

/// <summary>
/// Silos hosted in the test process. Clustered (when <see cref="TestClusterOptions.Membership"/> is set): every silo
/// listens on its own loopback port and they share the membership and storage databases; silos can be started,
/// stopped gracefully and killed abruptly. Otherwise a single silo without Kestrel.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<TestSilo> _silos = [];
    private readonly List<TestClient> _clients = [];

    private TestCluster(TestClusterOptions options) => Options = options;

    public TestClusterOptions Options { get; }

    public bool IsClustered => Options.Membership is not null;

    /// <summary>The silos still running.</summary>
    public IReadOnlyList<TestSilo> Silos => _silos.Where(s => s.IsRunning).ToList();

    /// <summary>A grain factory of a running silo.</summary>
    public IGrainFactory GrainFactory => PrimarySilo.GrainFactory;

    public TestSilo PrimarySilo => Silos.FirstOrDefault() ?? throw new InvalidOperationException("No silo of the test cluster is running.");

    public static async Task<TestCluster> StartAsync(TestClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cluster = new TestCluster(options);
        for (var i = 0; i < Math.Max(1, options.InitialSilos); i++)
        {
            await cluster.StartSiloCoreAsync(cancellationToken);
        }

        if (cluster.IsClustered)
        {
            await cluster.WaitForStableMembershipAsync(cancellationToken: cancellationToken);
        }

        return cluster;
    }

    /// <summary>Starts one more silo; a single-silo cluster starts it only once the previous one has stopped.</summary>
    public async Task<TestSilo> StartAdditionalSiloAsync(CancellationToken cancellationToken = default)
    {
        if (!IsClustered && Silos.Count > 0)
        {
            throw new InvalidOperationException("A silo of this single-silo test cluster is already running; stop it before starting another.");
        }

        return await StartSiloCoreAsync(cancellationToken);
    }

    /// <summary>Stops a silo gracefully: it leaves the cluster and hands its grains off.</summary>
    public Task StopSiloAsync(TestSilo silo, CancellationToken cancellationToken = default) => silo.StopAsync(cancellationToken);

    /// <summary>Kills a silo: no goodbye; the others must detect it.</summary>
    public Task KillSiloAsync(TestSilo silo) => silo.KillAsync();

    /// <summary>Stops every silo gracefully and starts a new one on the same databases.</summary>
    public async Task<TestSilo> RestartAsync(CancellationToken cancellationToken = default)
    {
        foreach (var silo in Silos)
        {
            await silo.StopAsync(cancellationToken);
        }

        return await StartSiloCoreAsync(cancellationToken);
    }

    /// <summary>Starts a cluster client (clustered test clusters only).</summary>
    public Task<TestClient> CreateClientAsync(CancellationToken cancellationToken = default) => CreateClientAsync(null, cancellationToken);

    /// <summary>A client of this cluster whose endpoint settings (its frame size, say) <paramref name="configureEndpoint"/> changes.</summary>
    public async Task<TestClient> CreateClientAsync(Action<TransportOptions>? configureEndpoint, CancellationToken cancellationToken = default)
    {
        var membership = Options.Membership ?? throw new InvalidOperationException("A cluster client needs a clustered test cluster (set Membership).");
        var client = await TestClient.StartAsync(
            membership,
            Options.ClusterId,
            Options.ServiceId,
            Options.ApplicationParts,
            Options.ConfigureMembership,
            Options.ConfigureLogging,
            configureEndpoint,
            cancellationToken);
        _clients.Add(client);
        return client;
    }

    /// <summary>Waits until every running silo sees the same membership version with exactly the running silos Active.</summary>
    public async Task WaitForStableMembershipAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            await ReleaseSelfStoppedSilosAsync();
            var running = Silos;
            var expected = running.Select(s => s.Address).Order().ToList();
            var views = running.Select(s => s.Membership).ToList();
            if (views.Count > 0 && views.All(v => v.Version == views[0].Version && v.ActiveSilos.SequenceEqual(expected)))
            {
                return;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(25), deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"Membership did not settle: expected Active {string.Join(", ", expected)}; views: {string.Join(" | ", views)}");
            }
        }
    }

    /// <summary>Builds a silo host without starting it (to test start-up failures).</summary>
    public static IHost BuildSiloHost(TestClusterOptions options) => new TestCluster(options).BuildHost();

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }

    private async Task ReleaseSelfStoppedSilosAsync()
    {
        foreach (var silo in _silos.Where(s => !s.IsRunning && s.Lifetime.ApplicationStopping.IsCancellationRequested).ToList())
        {
            await silo.ReleaseStoppedAsync();
        }
    }

    private async Task<TestSilo> StartSiloCoreAsync(CancellationToken cancellationToken)
    {
        var host = BuildHost();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        var silo = new TestSilo(host);
        _silos.Add(silo);
        return silo;
    }

    private IHost BuildHost()
    {
        if (!IsClustered)
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            ConfigureCommon(builder.Services, builder.Logging);
            builder.Services.AddGrains(ConfigureSilo);
            Options.ConfigureServices?.Invoke(builder.Services);
            return builder.Build();
        }

        var web = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        web.WebHost.UseKestrelCore();
        ConfigureCommon(web.Services, web.Logging);
        web.Services.AddGrains(silo =>
        {
            ConfigureSilo(silo);
            Options.Membership!.AddMembershipTo(silo);
            silo.ConfigureMembership(ConfigureMembership);
            silo.ConfigureEndpoint(endpoint =>
            {
                endpoint.Port = 0;

                // As for the membership probes (see ConfigureMembership): a clock moved on by seconds would time the ping
                // out before its answer could arrive.
                if (Options.TimeProvider is ManualTimeProvider)
                {
                    endpoint.LivenessTimeout = TimeSpan.Zero;
                }
            });
        });
        Options.ConfigureServices?.Invoke(web.Services);
        return web.Build();
    }

    private void ConfigureSilo(ISiloBuilder silo)
    {
        silo.Configure(grains =>
        {
            grains.ServiceId = Options.ServiceId;
            Options.ConfigureGrains?.Invoke(grains);
        });
        foreach (var part in Options.ApplicationParts)
        {
            silo.AddApplicationPart(part);
        }

        Options.Storage.AddTo(silo, PersistentStateAttribute.DefaultStorageName);
        Options.ConfigureSilo?.Invoke(silo);
    }

    private void ConfigureMembership(Cluster.MembershipOptions membership)
    {
        membership.ClusterId = Options.ClusterId;
        TestClusterOptions.FastFailureDetection(membership);
        if (Options.TimeProvider is ManualTimeProvider)
        {
            // A stopping silo waits this long on the silos' clock, which a manual clock only moves when told: each stop
            // would last the whole shutdown timeout (10 s). Without it a stop is not graceful (see TimeProvider).
            membership.ShutdownAnnouncementDelay = TimeSpan.Zero;

            // A test that moves the clock on by seconds fires the probes of those seconds at once, and their timeouts
            // with them, before any answer can arrive: the silos would vote each other dead and drop their grains
            // (a parent tenant's rate window with them). Failure detection is tested on the system clock.
            membership.MissedProbesLimit = int.MaxValue;
        }

        Options.ConfigureMembership?.Invoke(membership);
    }

    private void ConfigureCommon(IServiceCollection services, ILoggingBuilder logging)
    {
        logging.ClearProviders();
        Options.ConfigureLogging?.Invoke(logging);
        services.Configure<HostOptions>(host => host.ShutdownTimeout = Options.ShutdownTimeout);
        if (Options.TimeProvider is { } time)
        {
            services.TryAddSingleton(time);
        }
    }
}
