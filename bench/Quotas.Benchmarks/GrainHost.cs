using Grains;
using Grains.AdoNet;
using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quotas.Grains.Tenants;

namespace Quotas.Benchmarks;

/// <summary>A single silo with the quota grains on a fresh SQLite file, as the embedded default runs them.</summary>
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

    public static async Task<GrainHost> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("quotas-bench-").FullName;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddGrains(silo => silo
            .AddApplicationPart(typeof(TenantGrain).Assembly)
            .AddSqliteGrainStorage("Default", $"Data Source={Path.Combine(directory, "bench.db")}"));
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
