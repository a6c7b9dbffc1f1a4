using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Quotas.Core.Tenants;

namespace Quotas.Benchmarks.Tenants;

/// <summary>Through BenchmarkSwitcher: bytes allocated to create one active tenant (an upper bound on what it retains; the
/// retained figure comes from <see cref="TenantMemoryReport"/>).</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 5)]
public class TenantMemoryBenchmarks
{
    private const int Count = 100_000;
    private static readonly DateTimeOffset s_now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Benchmark(OperationsPerInvoke = Count)]
    public TenantQuotas[] CreateActiveTenants()
    {
        var held = new TenantQuotas[Count];
        for (var i = 0; i < Count; i++)
        {
            var tenant = new TenantQuotas(TenantConfig.Create("tenant-" + i, Tier.Basic));
            tenant.CheckRate(QuotaNames.Requests, 1, s_now);
            tenant.Acquire(QuotaNames.CpuMillicores, 100, TimeSpan.FromMinutes(5), null, s_now);
            held[i] = tenant;
        }

        return held;
    }
}
