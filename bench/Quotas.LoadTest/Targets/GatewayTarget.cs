using Quotas.LoadTest.Load;
using Quotas.LoadTest.Options;

namespace Quotas.LoadTest.Targets;

/// <summary>
/// The product: Quotas.Host in its embedded mode (gateway and silo in one process, state in a SQLite file of a
/// temporary directory), with the load-test tenants created through its admin API.
/// </summary>
internal sealed class GatewayTarget(LoadTestOptions options, RepositoryPaths paths) : ILoadTarget
{
    /// <summary>Fixed so that a failed run can be inspected by hand; the host only listens on loopback.</summary>
    private const string AdminKey = "loadtest-admin-key-0123456789abcdefghijk";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("quotas-loadtest-");
    private ChildProcess? _host;
    private Uri? _baseAddress;

    public string Name => TargetCatalog.Gateway;

    public string Description => "Quotas gateway + silo (embedded, SQLite): rate quota per tenant, sliding window of 10 buckets";

    public async Task<RequestPlan> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(paths.HostAssembly))
        {
            throw new StartupException($"{paths.HostAssembly} is missing: build it with 'dotnet build src/Quotas.Host -c Release' (run.sh does).");
        }

        var baseAddress = _baseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        _host = ChildProcess.Start("Quotas.Host", RepositoryPaths.Dotnet,
        [
            paths.HostAssembly,
            "--Quotas:HttpUrl", baseAddress.ToString().TrimEnd('/'),
            "--Quotas:Gateway:AdminKey", AdminKey,
            "--Quotas:SeedDemoTenants", "false",
            "--Quotas:SqliteConnectionString", $"Data Source={Path.Combine(_directory.FullName, "quotas.db")}",
            // The baseline servers log at Warning too; per-request Information lines would be measured otherwise.
            "--Logging:LogLevel:Default", "Warning",
        ], workingDirectory: _directory.FullName);

        await _host.WaitUntilReadyAsync(HttpProbe.Answers200(new Uri(baseAddress, "/health/ready")), TimeSpan.FromMinutes(2), cancellationToken);
        var tenants = TenantIds.Create(options.Tenants);
        var keys = await TenantProvisioner.CreateAsync(baseAddress, AdminKey, tenants, options.Limit, options.WindowSeconds, cancellationToken);
        return new RequestPlan([.. tenants.Select(id => new Uri(baseAddress, $"/v1/tenants/{id}/rate-limits/requests/hits"))], keys);
    }

    public TimeSpan ServerProcessorTime() => _host?.ProcessorTime ?? TimeSpan.Zero;

    public Task<GcFigures?> ServerGcAsync(CancellationToken cancellationToken) => _baseAddress is null
        ? Task.FromResult<GcFigures?>(null)
        : GcProbe.PrometheusAsync(new Uri(_baseAddress, "/metrics"), AdminKey, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is not worth failing a measured run for.
        }
    }
}
