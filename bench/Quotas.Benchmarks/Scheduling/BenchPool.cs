using Quotas.Contracts;
using Quotas.Core.Scheduling;

namespace Quotas.Benchmarks.Scheduling;

/// <summary>The pool both scheduler-grain benchmarks use: eight tenants, one job size, one submitter per tenant.</summary>
internal static class BenchPool
{
    public const string Id = "bench";
    public const int TenantCount = 8;

    public static readonly TenantId[] Tenants = Enumerable.Range(0, TenantCount).Select(i => new TenantId($"tenant-{i}")).ToArray();

    public static readonly ResourceVector JobDemand = ResourceVector.Of(("cpu_millicores", 500), ("memory_mb", 1024));

    /// <summary>The pool's configuration; <paramref name="weightOfFirst"/> is the first tenant's weight, every other's is 1.</summary>
    public static PoolConfig Config(int weightOfFirst = 1, int? maxQueued = null)
    {
        var config = new PoolConfig
        {
            Id = Id,
            Capacity = ResourceVector.Of(("cpu_millicores", 64_000), ("memory_mb", 262_144)),
            Tenants = Tenants.Select((t, i) => new TenantShare(t, i == 0 ? weightOfFirst : 1)).ToList(),
        };
        return maxQueued is { } max ? config with { MaxQueuedJobsPerTenant = max, MaxQueuedJobsPerPool = max } : config;
    }

    /// <summary>One task per tenant submitting <paramref name="perTenant"/> jobs, each with a key of its own.</summary>
    public static Task[] Submitters(IFairShareSchedulerGrain pool, int perTenant) => Tenants.Select(tenant => Task.Run(async () =>
    {
        for (var i = 0; i < perTenant; i++)
        {
            await pool.Submit(new SubmitJobRequest(tenant, JobDemand, 0, $"{tenant}-{i}"));
        }
    })).ToArray();
}
