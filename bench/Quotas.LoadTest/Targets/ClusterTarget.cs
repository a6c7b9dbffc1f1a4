using Quotas.LoadTest.Load;
using Quotas.LoadTest.Options;

namespace Quotas.LoadTest.Targets;

/// <summary>
/// The product as a cluster: one silo process and one gateway process (a cluster client) on PostgreSQL, so every check
/// crosses the TCP hop from gateway to silo. Each start uses a service and cluster id of its own, so tenants and
/// membership rows of earlier runs in the same database are never seen. Server figures are both processes' sums.
/// </summary>
internal sealed class ClusterTarget(LoadTestOptions options, RepositoryPaths paths) : ILoadTarget
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("quotas-loadtest-cluster-");
    private ChildProcess? _silo;
    private ChildProcess? _gateway;
    private Uri? _siloAddress;
    private Uri? _gatewayAddress;

    public string Name => TargetCatalog.Cluster;

    public string Description => "Quotas gateway process + silo process (PostgreSQL): the same check across the gateway-to-silo TCP hop";

    public async Task<RequestPlan> StartAsync(CancellationToken cancellationToken)
    {
        var connectionString = options.PostgresConnectionString ?? throw new StartupException(
            "The cluster target needs PostgreSQL: pass --postgres \"Host=...;Username=...;Password=...;Database=...\" (run.sh passes the server of scripts/postgres.sh).");
        var run = $"loadtest-{Guid.NewGuid():N}"[..21];
        string[] cluster =
        [
            "--Quotas:Storage", "PostgreSql",
            "--Quotas:PostgreSqlConnectionString", connectionString,
            "--Grains:ServiceId", run,
            "--Grains:Membership:ClusterId", run,
        ];

        var siloAddress = _siloAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        _silo = await QuotasHost.StartAsync("Quotas.Host silo", paths, siloAddress,
            [.. cluster, "--Quotas:Role", "Silo", "--Grains:Endpoint:Port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture)],
            _directory.FullName, options.ServerCpus, cancellationToken);
        var gatewayAddress = _gatewayAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        _gateway = await QuotasHost.StartAsync("Quotas.Host gateway", paths, gatewayAddress,
            [.. cluster, "--Quotas:Role", "Gateway"],
            _directory.FullName, options.ServerCpus, cancellationToken);
        return await QuotasHost.ProvisionAsync(gatewayAddress, options, cancellationToken);
    }

    public TimeSpan ServerProcessorTime() => (_silo?.ProcessorTime ?? TimeSpan.Zero) + (_gateway?.ProcessorTime ?? TimeSpan.Zero);

    /// <summary>Both processes' collectors together; none when either does not answer.</summary>
    public async Task<GcFigures?> ServerGcAsync(CancellationToken cancellationToken)
    {
        if (_siloAddress is null || _gatewayAddress is null)
        {
            return null;
        }

        var silo = await QuotasHost.GcAsync(_siloAddress, cancellationToken);
        var gateway = await QuotasHost.GcAsync(_gatewayAddress, cancellationToken);
        return silo is { } s && gateway is { } g ? s + g : null;
    }

    public async ValueTask DisposeAsync()
    {
        // The gateway first: a silo that leaves hands its grains off, and nothing should call it meanwhile.
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }

        QuotasHost.DeleteWorkingDirectory(_directory);
    }
}
