using Quotas.Core.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

internal static class Pools
{
    public static readonly TenantId Alpha = new("alpha");
    public static readonly TenantId Beta = new("beta");

    public static PoolConfig Small(string id) => new()
    {
        Id = id,
        Capacity = ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)),
        Tenants = [new TenantShare(Alpha), new TenantShare(Beta)],
    };

    public static SubmitJobRequest Job(TenantId tenant, string key, long cpu = 1000, int priority = 0) =>
        new(tenant, ResourceVector.Of(("cpu_millicores", cpu), ("memory_mb", 512)), priority, key);
}
