using System.Text.Json;
using Quotas.Core.Scheduling;

namespace Quotas.Core.Tests.Scheduling;

internal static class SchedulingKit
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    public static TenantId Id(string value) => new(value);

    public static ResourceVector Workers(long n) => ResourceVector.Of(("workers", n));

    public static PoolConfig WorkerPool(long workers, params TenantShare[] tenants) => new()
    {
        Id = "pool",
        Capacity = Workers(workers),
        Tenants = tenants,
    };

    public static TenantShare Guarantee(string tenant, long workers, double weight = 1) =>
        new(Id(tenant), weight, Workers(workers));

    private static long s_key;

    public static JobInfo Submit(this FairShareScheduler s, string tenant, ResourceVector demand, int priority = 0, DateTimeOffset? now = null) =>
        s.Submit(new SubmitJobRequest(Id(tenant), demand, priority, "k" + Interlocked.Increment(ref s_key)), now ?? T0).Job;

    public static IReadOnlyList<JobLease> Lease(this FairShareScheduler s, ResourceVector free, DateTimeOffset? now = null, int max = int.MaxValue, string worker = "w1") =>
        s.LeaseJobs(worker, free, Ttl, now ?? T0, max);

    public static string Json(this FairShareScheduler s) => JsonSerializer.Serialize(s.ToSnapshot());

    public static int CountFor(this IEnumerable<JobLease> leases, string tenant) => leases.Count(l => l.Tenant == Id(tenant));
}
