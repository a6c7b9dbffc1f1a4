using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

public sealed class TierProfileTests
{
    [Theory]
    [InlineData(Tier.Basic, 1000, 512, 100)]
    [InlineData(Tier.Premium, 2000, 1024, 500)]
    [InlineData(Tier.Enterprise, 4000, 4096, 2000)]
    [InlineData(Tier.Unlimited, -1, -1, -1)]
    public void Tiers_fill_in_cpu_memory_and_requests_per_minute(Tier tier, long cpu, long memory, long requests)
    {
        var tenant = new TenantQuotas(TenantConfig.Create("t", tier));
        QuotaDefinition Find(QuotaKind kind, string name) => tenant.Effective.Single(q => q.Kind == kind && q.Name == name);

        Assert.Equal(cpu, Find(QuotaKind.Gauge, QuotaNames.CpuMillicores).Limit.Limit);
        Assert.Equal(memory, Find(QuotaKind.Gauge, QuotaNames.MemoryMb).Limit.Limit);
        var rate = Find(QuotaKind.Rate, QuotaNames.Requests);
        Assert.Equal(requests, rate.Limit.Limit);
        if (requests > 0)
        {
            Assert.Equal(TimeSpan.FromMinutes(1), rate.Window);
        }
    }

    [Fact]
    public void Own_definitions_override_the_tier()
    {
        var tenant = Basic("big", QuotaDefinition.TokenBucket(QuotaNames.Requests, 1000, TimeSpan.FromMinutes(1), burst: 50));
        var decision = tenant.CheckRate(QuotaNames.Requests, 50, T0);
        Assert.True(decision.Allowed);
        Assert.Equal(50, decision.Limit);
        Assert.False(tenant.CheckRate(QuotaNames.Requests, 1, T0).Allowed);
    }

    [Fact]
    public void Deleted_tenant_is_denied_and_cannot_renew()
    {
        var tenant = Basic();
        var lease = ((AdmissionDecision.Allow)tenant.Acquire(QuotaNames.CpuMillicores, 1, Hour, null, T0)).LeaseId!;
        tenant.SetStatus(TenantStatus.Deleted);
        Assert.Equal(ReasonCodes.TenantDeleted, ((AdmissionDecision.Deny)tenant.Acquire(QuotaNames.CpuMillicores, 1, Hour, null, T0)).ReasonCode);
        Assert.Equal(ReasonCodes.TenantDeleted, tenant.Renew(lease, Hour, T0).ReasonCode);
        Assert.True(tenant.Release(lease, T0));
    }

    [Fact]
    public void Storage_is_a_reported_gauge_with_its_own_limit()
    {
        var tenant = Basic("files", QuotaDefinition.Reported(QuotaNames.StorageBytes, QuotaLimit.Hard(1000)));
        tenant.ReportGauge(QuotaNames.StorageBytes, 900, T0);
        Assert.True(tenant.CheckReported(QuotaNames.StorageBytes, 100, T0).IsAllowed);
        Assert.Equal(ReasonCodes.StorageQuotaExceeded, ((AdmissionDecision.Deny)tenant.CheckReported(QuotaNames.StorageBytes, 101, T0)).ReasonCode);
        Assert.Equal([80], tenant.Alerts.Items.Select(a => a.ThresholdPercent));
    }
}
