using System.Globalization;
using Quotas.LoadTest.Load;
using Quotas.LoadTest.Options;
using Quotas.LoadTest.Servers;

namespace Quotas.LoadTest.Targets;

/// <summary>
/// One baseline server: this tool started again as <c>serve &lt;kind&gt;</c> in a process of its own (so that it does not
/// share the generator's GC and thread pool), plus a redis-server for the Redis baseline.
/// </summary>
internal sealed class BaselineTarget(string name, string description, ServeKind kind, LoadTestOptions options) : ILoadTarget
{
    private RedisServer? _redis;
    private ChildProcess? _server;
    private Uri? _baseAddress;

    public string Name => name;

    public string Description => description;

    public async Task<RequestPlan> StartAsync(CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var arguments = new List<string>
        {
            RepositoryPaths.OwnAssembly, ServeCommand.Name, ServeKinds.Text(kind),
            "--port", Invariant(port),
            "--limit", Invariant(options.Limit),
            "--window-seconds", Invariant(options.WindowSeconds),
            "--parent-pid", Invariant(Environment.ProcessId),
        };
        if (kind == ServeKind.Redis)
        {
            _redis = await RedisServer.StartAsync(options.ServerCpus, cancellationToken);
            arguments.AddRange(["--redis-port", Invariant(_redis.Port)]);
        }

        // Quotas.Host runs the server GC without dynamic adaptation (see its project file); the baselines get the same,
        // or they would be measured with another collector than the product.
        var environment = new Dictionary<string, string> { ["DOTNET_gcServer"] = "1", ["DOTNET_GCDynamicAdaptationMode"] = "0" };
        _server = ChildProcess.Start($"serve {ServeKinds.Text(kind)}", RepositoryPaths.Dotnet, arguments, options.ServerCpus, environment);
        var baseAddress = _baseAddress = new Uri($"http://127.0.0.1:{port}");
        await _server.WaitUntilReadyAsync(HttpProbe.Answers200(new Uri(baseAddress, ServeCommand.HealthPath)), TimeSpan.FromMinutes(1), cancellationToken);

        // The baselines take no key, but get a bearer header of a product key's size so the generator's work is the same.
        var tenants = TenantIds.Create(options.Tenants);
        return new RequestPlan(
            [.. tenants.Select(id => new Uri(baseAddress, $"/hits/{id}"))],
            [.. tenants.Select(id => $"qk_{id}_{new string('x', 43)}")]);
    }

    /// <summary>The serve process's own collector (redis-server's memory is not .NET's and is not counted).</summary>
    public Task<GcFigures?> ServerGcAsync(CancellationToken cancellationToken) => _baseAddress is null
        ? Task.FromResult<GcFigures?>(null)
        : GcProbe.PlainAsync(new Uri(_baseAddress, ServeCommand.GcPath), cancellationToken);

    public TimeSpan ServerProcessorTime() => (_server?.ProcessorTime ?? TimeSpan.Zero) + (_redis?.ProcessorTime ?? TimeSpan.Zero);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
