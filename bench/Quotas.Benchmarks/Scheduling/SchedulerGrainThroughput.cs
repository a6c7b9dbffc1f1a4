using System.Diagnostics;
using Quotas.Contracts;
using Quotas.Core.Scheduling;

namespace Quotas.Benchmarks.Scheduling;

/// <summary>
/// `-- scheduler-grain [jobs]`: submit, lease and complete through FairShareSchedulerGrain end to end, every step
/// persisted (SQLite, or PostgreSQL with --postgres) before it is acknowledged. Submitters (one per tenant) and workers run concurrently; the figure
/// is completed jobs per second. Slurm documents a sustained 500 jobs/s as its floor to beat.
/// </summary>
internal static class SchedulerGrainThroughput
{
    private const int Workers = 4;

    public static async Task RunAsync(TextWriter report, int jobs, string? postgres)
    {
        await using var host = await GrainHost.StartAsync(postgres);
        var pool = host.Grains.GetGrain<IFairShareSchedulerGrain>(BenchPool.Id);
        await pool.Configure(BenchPool.Config());

        var completed = 0;
        var watch = Stopwatch.StartNew();
        var submitters = BenchPool.Submitters(pool, jobs / BenchPool.TenantCount);
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var free = ResourceVector.Of(("cpu_millicores", 16_000), ("memory_mb", 65_536));
            while (Volatile.Read(ref completed) < jobs / BenchPool.TenantCount * BenchPool.TenantCount)
            {
                var leases = await pool.LeaseJobs($"worker-{w}", free, TimeSpan.FromMinutes(1), 32);
                await Task.WhenAll(leases.Select(async lease =>
                {
                    await pool.Complete(lease.JobId, JobOutcome.Succeeded, lease.Demand);
                    Interlocked.Increment(ref completed);
                }));

                if (leases.Count == 0)
                {
                    await Task.Yield();
                }
            }
        }));
        await Task.WhenAll(submitters.Concat(workers));
        var elapsed = watch.Elapsed;

        report.WriteLine($"{completed:N0} jobs submitted, leased and completed through the grain in {elapsed.TotalSeconds:F1} s: " +
            $"{completed / elapsed.TotalSeconds:N0} jobs/s ({completed / elapsed.TotalSeconds / 500:F1}x Slurm's documented 500 jobs/s); " +
            $"{BenchPool.TenantCount} submitters, {Workers} workers, {(postgres is null ? "SQLite" : "PostgreSQL")}, every step persisted");
    }
}
