using Grains.Placement;
using Grains.Testing;

namespace Grains.Benchmarks;

/// <summary>
/// Cross-silo calls (`-- cross-silo`): code on silo A calls grains that live on silo B, over the silo transport.
/// Baseline in the same run: the raw Pipelines echo. Rounds alternate so both see the same machine load.
/// </summary>
internal static class CrossSiloComparison
{
    private const int Rounds = 7;

    public static async Task RunAsync(TextWriter report)
    {
        var options = new TestClusterOptions { InitialSilos = 2, Membership = TestStorage.Sqlite(), Storage = TestStorage.Sqlite() };
        options.ApplicationParts.Add(typeof(EchoGrain).Assembly);
        await using var cluster = await TestCluster.StartAsync(options);
        var caller = cluster.Silos[0];
        var remote = cluster.Silos[1].Address;
        var ring = caller.Membership.Ring;
        var remoteKeys = Enumerable.Range(0, 10_000).Where(k => ring.GetOwner(GrainId.Create("echo", GrainKey.Format((long)k))) == remote).Take(64).ToArray();
        var grains = remoteKeys.Select(k => caller.GrainFactory.GetGrain<IEchoGrain>(k)).ToArray();
        await using var server = new PipelinesEchoServer();
        await using var baseline = new PipelinesEchoClient();
        await baseline.ConnectAsync(server.EndPoint);

        report.WriteLine("| callers | transport | calls/s | p50 | p99 | grain/baseline throughput |");
        report.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var callers in new[] { 1, 64 })
        {
            var callsPerCaller = callers == 1 ? 20_000 : 1_000;
            await LatencyRecorder.RunAsync(callers, callsPerCaller / 4, (c, n) => baseline.EchoAsync(n));
            await LatencyRecorder.RunAsync(callers, callsPerCaller / 4, (c, n) => grains[c].Echo(n));
            var baselineRuns = new List<RunResult>();
            var grainRuns = new List<RunResult>();
            for (var round = 0; round < Rounds; round++)
            {
                baselineRuns.Add(await LatencyRecorder.RunAsync(callers, callsPerCaller, (c, n) => baseline.EchoAsync(n)));
                grainRuns.Add(await LatencyRecorder.RunAsync(callers, callsPerCaller, (c, n) => grains[c].Echo(n)));
            }

            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            await LatencyRecorder.RunAsync(callers, callsPerCaller, (c, n) => grains[c].Echo(n));
            var bytesPerCall = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (callers * callsPerCaller);
            report.WriteLine($"<!-- {callers} callers: {bytesPerCall} bytes allocated per grain call, both silos together -->");
            var b = Median(baselineRuns);
            var g = Median(grainRuns);
            report.WriteLine($"| {callers} | raw Pipelines echo (baseline) | {b.CallsPerSecond:N0} | {Micro(b.P50)} | {Micro(b.P99)} | |");
            report.WriteLine($"| {callers} | grain call, silo to silo | {g.CallsPerSecond:N0} | {Micro(g.P50)} | {Micro(g.P99)} | {g.CallsPerSecond / b.CallsPerSecond:F2}x |");
        }
    }

    /// <summary>Only grain calls with 64 callers, for a while: something steady to attach a profiler to.</summary>
    public static async Task ProfileAsync(TimeSpan duration)
    {
        var options = new TestClusterOptions { InitialSilos = 2, Membership = TestStorage.Sqlite(), Storage = TestStorage.Sqlite() };
        options.ApplicationParts.Add(typeof(EchoGrain).Assembly);
        await using var cluster = await TestCluster.StartAsync(options);
        var caller = cluster.Silos[0];
        var remote = cluster.Silos[1].Address;
        var ring = caller.Membership.Ring;
        var grains = Enumerable.Range(0, 10_000).Where(k => ring.GetOwner(GrainId.Create("echo", GrainKey.Format((long)k))) == remote)
            .Take(64).Select(k => caller.GrainFactory.GetGrain<IEchoGrain>(k)).ToArray();
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (started.Elapsed < duration)
        {
            await LatencyRecorder.RunAsync(64, 1_000, (c, n) => grains[c].Echo(n));
        }
    }

    private static RunResult Median(List<RunResult> runs)
    {
        var ordered = runs.OrderBy(r => r.CallsPerSecond).ToList();
        return ordered[ordered.Count / 2];
    }

    private static string Micro(TimeSpan value) => $"{value.TotalMicroseconds:N0} µs";
}
