using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Grains.Testing;

/// <summary>
/// Silos hosted in the test process on a shared database. Today one silo runs at a time; the shape (a list of silos,
/// start and stop per silo) is the one a multi-silo cluster keeps.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<TestSilo> _silos = [];

    private TestCluster(TestClusterOptions options) => Options = options;

    public TestClusterOptions Options { get; }

    public IReadOnlyList<TestSilo> Silos => _silos;

    /// <summary>A grain factory of a running silo.</summary>
    public IGrainFactory GrainFactory =>
        _silos.LastOrDefault(s => s.IsRunning)?.GrainFactory ?? throw new InvalidOperationException("No silo of the test cluster is running.");

    public TestSilo PrimarySilo =>
        _silos.LastOrDefault(s => s.IsRunning) ?? throw new InvalidOperationException("No silo of the test cluster is running.");

    public static async Task<TestCluster> StartAsync(TestClusterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cluster = new TestCluster(options);
        await cluster.StartSiloAsync(cancellationToken);
        return cluster;
    }

    /// <summary>Starts a silo on the cluster's database (after the previous one has stopped).</summary>
    public async Task<TestSilo> StartSiloAsync(CancellationToken cancellationToken = default)
    {
        if (_silos.Any(s => s.IsRunning))
        {
            throw new InvalidOperationException("A silo of this test cluster is already running; stop it before starting another.");
        }

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

    /// <summary>Stops the running silo gracefully and starts a new one on the same database.</summary>
    public async Task<TestSilo> RestartAsync(CancellationToken cancellationToken = default)
    {
        foreach (var silo in _silos)
        {
            await silo.StopAsync(cancellationToken);
        }

        return await StartSiloAsync(cancellationToken);
    }

    /// <summary>Builds a silo host without starting it (to test start-up failures).</summary>
    public static IHost BuildSiloHost(TestClusterOptions options) => new TestCluster(options).BuildHost();

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }

    private IHost BuildHost()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = Options.ShutdownTimeout);
        Options.ConfigureLogging?.Invoke(builder.Logging);
        if (Options.TimeProvider is { } time)
        {
            builder.Services.TryAddSingleton(time);
        }

        builder.Services.AddGrains(silo =>
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
        });
        Options.ConfigureServices?.Invoke(builder.Services);
        return builder.Build();
    }
}
