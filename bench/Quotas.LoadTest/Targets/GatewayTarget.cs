using Quotas.LoadTest.Load;
using Quotas.LoadTest.Options;

namespace Quotas.LoadTest.Targets;

/// <summary>
/// The product: Quotas.Host in its embedded mode (gateway and silo in one process, state in a SQLite file of a
/// temporary directory), with the load-test tenants created through its admin API.
/// </summary>
internal sealed class GatewayTarget(LoadTestOptions options, RepositoryPaths paths) : ILoadTarget
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("quotas-loadtest-");
    private ChildProcess? _host;
    private Uri? _baseAddress;

    public string Name => TargetCatalog.Gateway;

    public string Description => "Quotas gateway + silo (embedded, SQLite): rate quota per tenant, sliding window of 10 buckets";

    public async Task<RequestPlan> StartAsync(CancellationToken cancellationToken)
    {
        var baseAddress = _baseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        _host = await QuotasHost.StartAsync("Quotas.Host", paths, baseAddress,
            ["--Quotas:SqliteConnectionString", $"Data Source={Path.Combine(_directory.FullName, "quotas.db")}"],
            _directory.FullName, options.ServerCpus, cancellationToken);
        return await QuotasHost.ProvisionAsync(baseAddress, options, cancellationToken);
    }

    public TimeSpan ServerProcessorTime() => _host?.ProcessorTime ?? TimeSpan.Zero;

    public Task<GcFigures?> ServerGcAsync(CancellationToken cancellationToken) => _baseAddress is null
        ? Task.FromResult<GcFigures?>(null)
        : QuotasHost.GcAsync(_baseAddress, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        QuotasHost.DeleteWorkingDirectory(_directory);
    }
}
