using BenchmarkDotNet.Attributes;
using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Grains.Benchmarks;

/// <summary>
/// Request/response throughput of one grain activation against the channel mailbox baseline. Each invocation makes
/// <see cref="CallsPerInvoke"/> calls from <see cref="Callers"/> concurrent callers, each awaiting its previous call;
/// BenchmarkDotNet reports time and allocation per call.
/// </summary>
[MemoryDiagnoser]
public class LocalCallBenchmarks
{
    internal const int CallsPerInvoke = 64 * 1024;

    private IHost _host = null!;
    private IEchoGrain _grain = null!;
    private ChannelMailbox _mailbox = null!;

    [Params(1, 64)]
    public int Callers { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddGrains(silo => silo.AddApplicationPart(typeof(EchoGrain).Assembly));
        _host = builder.Build();
        await _host.StartAsync();
        _grain = _host.Services.GetRequiredService<IGrainFactory>().GetGrain<IEchoGrain>(1);
        await _grain.Echo(0);
        _mailbox = new ChannelMailbox();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _mailbox.DisposeAsync();
        await _host.StopAsync();
        _host.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = CallsPerInvoke)]
    public Task ChannelWithTaskCompletionSource() => RunCallers(_mailbox.Echo);

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task GrainCall() => RunCallers(_grain.Echo);

    private Task RunCallers(Func<int, Task<int>> call)
    {
        var perCaller = CallsPerInvoke / Callers;
        var callers = new Task[Callers];
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = Task.Run(async () =>
            {
                var value = 0;
                for (var n = 0; n < perCaller; n++)
                {
                    value = await call(value);
                }
            });
        }

        return Task.WhenAll(callers);
    }
}
