using Grains;
using Grains.AdoNet;
using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quotas.Grains.Tenants;

namespace Quotas.Benchmarks;

/// <summary>
/// A single silo with the quota grains on a fresh SQLite file, as the embedded default runs them, or on PostgreSQL
/// under a service id of its own (so earlier runs' rows are not read).
/// </summary>
internal sealed class GrainHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _directory;

    private GrainHost(IHost host, string directory)
    {
        _host = host;
        _directory = directory;
    }

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Where the grains store: a connection string for PostgreSQL, or null for the SQLite file.</summary>
    public static async Task<GrainHost> StartAsync(string? postgres = null)
    {
        var directory = Directory.CreateTempSubdirectory("quotas-bench-").FullName;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddGrains(silo =>
        {
            silo.AddApplicationPart(typeof(TenantGrain).Assembly);
            if (postgres is null)
            {
                silo.AddSqliteGrainStorage("Default", $"Data Source={Path.Combine(directory, "bench.db")}");
            }
            else
            {
                silo.AddPostgreSqlGrainStorage("Default", postgres);
            }
        });
        builder.Services.Configure<GrainsOptions>(options => options.ServiceId = $"bench-{Guid.NewGuid():N}");
        var host = builder.Build();
        await host.StartAsync();
        return new GrainHost(host, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
