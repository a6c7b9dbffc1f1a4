using System.Diagnostics;
using Grains.Testing;

namespace Grains.Benchmarks;

/// <summary>
/// Concurrent state writes on SQLite (`-- sqlite-writers [callers] [seconds]`): one silo on a SQLite file, each caller
/// writing its own grain's state back to back. Reports writes per second and the latency of a write at p50, p99, p99.9
/// and its worst, where writers contending for the file's one write lock show.
/// </summary>
internal static class SqliteWriters
{
    public static async Task RunAsync(TextWriter report, int callers, TimeSpan duration)
    {
        var options = new TestClusterOptions { Storage = TestStorage.Sqlite() };
        options.ApplicationParts.Add(typeof(TallyGrain).Assembly);
        await using var cluster = await TestCluster.StartAsync(options);
        var grains = Enumerable.Range(0, callers).Select(i => cluster.GrainFactory.GetGrain<ITallyGrain>(i)).ToArray();
        await Task.WhenAll(grains.Select(grain => grain.Add(1))); // activated and stored once before timing

        var latencies = new List<long>[callers];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var mine = latencies[caller] = [];
            while (watch.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await grains[caller].Add(1);
                mine.Add(Stopwatch.GetTimestamp() - started);
            }
        })));
        var elapsed = watch.Elapsed;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        report.WriteLine(
            $"SQLite, {callers} writers, {elapsed.TotalSeconds:F0} s: {all.Length / elapsed.TotalSeconds:N0} writes/s; " +
            $"p50 {Ms(all, 0.50)}, p99 {Ms(all, 0.99)}, p99.9 {Ms(all, 0.999)}, worst {Ms(all, 1)}");
    }

    private static string Ms(long[] sorted, double p) =>
        $"{sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)] * 1000.0 / Stopwatch.Frequency:N1} ms";
}

public interface ITallyGrain : IGrainWithIntegerKey
{
    Task<long> Add(long amount);
}

public sealed class TallyState
{
    public long Total { get; set; }
}

/// <summary>A grain that stores its running total at every call.</summary>
public sealed class TallyGrain([PersistentState("tally")] IPersistentState<TallyState> state) : Grain, ITallyGrain
{
    public async Task<long> Add(long amount)
    {
        state.State.Total += amount;
        await state.WriteStateAsync();
        return state.State.Total;
    }
}
