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
    private const int Tenants = 8;
    private const int Changes = 3;

    public static async Task RunAsync(TextWriter report, int jobs, string? postgres)
    {
        await using var host = await GrainHost.StartAsync(postgres);
        var pool = host.Grains.GetGrain<IFairShareSchedulerGrain>("bench");
        var tenants = Enumerable.Range(0, Tenants).Select(i => new TenantId($"tenant-{i}")).ToArray();
        PoolConfig Config(int weightOfFirst) => new()
        {
            Id = "bench",
            Capacity = ResourceVector.Of(("cpu_millicores", 64_000), ("memory_mb", 262_144)),
            Tenants = tenants.Select((t, i) => new TenantShare(t, i == 0 ? weightOfFirst : 1)).ToList(),
            MaxQueuedJobsPerTenant = jobs,
            MaxQueuedJobsPerPool = jobs,
        };

        await pool.Configure(Config(1));
        await Task.WhenAll(tenants.Select(tenant => Task.Run(async () =>
        {
            for (var i = 0; i < jobs / Tenants; i++)
            {
                await pool.Submit(new SubmitJobRequest(tenant, ResourceVector.Of(("cpu_millicores", 500), ("memory_mb", 1024)), 0, $"{tenant}-{i}"));
            }
        })));

        var times = new List<double>();
        for (var change = 0; change < Changes; change++)
        {
            var watch = Stopwatch.StartNew();
            await pool.Configure(Config(2 + change));
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        report.WriteLine($"{jobs / Tenants * Tenants:N0} queued jobs, {(postgres is null ? "SQLite" : "PostgreSQL")}: a configuration change took " +
            string.Join(", ", times.Select(t => $"{t:N0} ms")) + " (rebuild, re-balance and the write, acknowledged)");
    }
}
