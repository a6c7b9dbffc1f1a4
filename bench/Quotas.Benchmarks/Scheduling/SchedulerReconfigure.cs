using System.Diagnostics;
using Quotas.Contracts;
using Quotas.Core.Scheduling;

namespace Quotas.Benchmarks.Scheduling;

/// <summary>
/// `-- scheduler-reconfigure [jobs]`: how long a pool's configuration change takes through FairShareSchedulerGrain
/// with that many jobs queued (SQLite, or PostgreSQL with --postgres). The change (new tenant weights) rebuilds the
/// scheduler and is persisted before it is acknowledged; what it writes is what the figure measures.
/// </summary>
internal static class SchedulerReconfigure
{
    private const int Changes = 3;

    public static async Task RunAsync(TextWriter report, int jobs, string? postgres)
    {
        await using var host = await GrainHost.StartAsync(postgres);
        var pool = host.Grains.GetGrain<IFairShareSchedulerGrain>(BenchPool.Id);
        await pool.Configure(BenchPool.Config(maxQueued: jobs));
        await Task.WhenAll(BenchPool.Submitters(pool, jobs / BenchPool.TenantCount));

        var times = new List<double>();
        for (var change = 0; change < Changes; change++)
        {
            var watch = Stopwatch.StartNew();
            await pool.Configure(BenchPool.Config(weightOfFirst: 2 + change, maxQueued: jobs));
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        report.WriteLine($"{jobs / BenchPool.TenantCount * BenchPool.TenantCount:N0} queued jobs, {(postgres is null ? "SQLite" : "PostgreSQL")}: a configuration change took " +
            string.Join(", ", times.Select(t => $"{t:N0} ms")) + " (rebuild, re-balance and the write, acknowledged)");
    }
}
