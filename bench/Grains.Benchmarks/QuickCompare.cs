using System.Diagnostics;

namespace Grains.Benchmarks;

/// <summary>
/// A fast side-by-side run (`-- quick`) for iterating on the call path; BenchmarkDotNet gives the recorded figures.
/// Alternates baseline and grain rounds so both see the same machine load.
/// </summary>
internal static class QuickCompare
{
    public static async Task RunAsync()
    {
        var benchmark = new LocalCallBenchmarks();
        foreach (var callers in new[] { 1, 64 })
        {
            benchmark.Callers = callers;
            await benchmark.Setup();
            double baseline = 0, grain = 0;
            for (var round = 0; round < 6; round++)
            {
                var b = await TimeAsync(benchmark.ChannelWithTaskCompletionSource);
                var g = await TimeAsync(benchmark.GrainCall);
                if (round > 0)
                {
                    baseline += b;
                    grain += g;
                }
            }

            await benchmark.Cleanup();
            Console.WriteLine($"callers={callers}: baseline {baseline / 5:N0} calls/s, grain {grain / 5:N0} calls/s, ratio {grain / baseline:F2}");
        }
    }

    private static async Task<double> TimeAsync(Func<Task> run)
    {
        var watch = Stopwatch.StartNew();
        await run();
        return LocalCallBenchmarks.CallsPerInvoke / watch.Elapsed.TotalSeconds;
    }
}
