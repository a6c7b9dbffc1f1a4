using System.Diagnostics;

namespace Grains.Benchmarks;

/// <summary>Runs callers that each make calls back to back, and reports throughput and latency percentiles.</summary>
internal static class LatencyRecorder
{
    public static async Task<RunResult> RunAsync(int callers, int callsPerCaller, Func<int, int, Task> call)
    {
        var latencies = new long[callers * callsPerCaller];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            for (var n = 0; n < callsPerCaller; n++)
            {
                var started = Stopwatch.GetTimestamp();
                await call(caller, n);
                latencies[(caller * callsPerCaller) + n] = Stopwatch.GetTimestamp() - started;
            }
        })));
        var elapsed = watch.Elapsed;
        Array.Sort(latencies);
        return new RunResult(latencies.Length / elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    private static TimeSpan Percentile(long[] sorted, double p) =>
        TimeSpan.FromSeconds(sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)] / (double)Stopwatch.Frequency);
}

internal readonly record struct RunResult(double CallsPerSecond, TimeSpan P50, TimeSpan P99);
