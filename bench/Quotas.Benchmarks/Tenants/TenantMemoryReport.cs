using Quotas.Core.Tenants;

namespace Quotas.Benchmarks.Tenants;

/// <summary>Retained bytes per active tenant (GC.GetTotalMemory before and after building them). Active: one rate check and one
/// live lease; "with usage" adds one recorded budget event (which allocates the event-id memory).</summary>
public static class TenantMemoryReport
{
    public static void Run(TextWriter output, int tenants = 100_000)
    {
        output.WriteLine($"tenants: {tenants:N0}");
        output.WriteLine($"bytes per tenant, rate check + lease:          {Measure(tenants, withUsage: false):N0}");
        output.WriteLine($"bytes per tenant, rate check + lease + usage:  {Measure(tenants, withUsage: true):N0}");
    }

    public static long Measure(int tenants, bool withUsage)
    {
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, tenants).Select(i => $"tenant-{i}").ToArray();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var held = new TenantQuotas[tenants];
        for (var i = 0; i < tenants; i++)
        {
            var tenant = new TenantQuotas(TenantConfig.Create(ids[i], Tier.Basic));
            tenant.CheckRate(QuotaNames.Requests, 1, now);
            tenant.Acquire(QuotaNames.CpuMillicores, 100, TimeSpan.FromMinutes(5), null, now);
            if (withUsage)
            {
                tenant.RecordUsage("evt-1", QuotaNames.Jobs, 1, now);
            }

            held[i] = tenant;
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(held);
        return (after - before) / tenants;
    }
}
