using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>A reported gauge's soft limit, as a gauge's: up to its ceiling for its burst, then only within the limit.</summary>
public sealed class ReportedGaugeTests
{
    private static readonly QuotaDefinition s_storage = QuotaDefinition.Reported("storage_bytes", QuotaLimit.Soft(100, 150, TimeSpan.FromHours(1), TimeSpan.Zero));

    [Fact]
    public void Room_above_a_soft_limit_is_given_for_the_burst_from_the_first_report_above_it_and_not_after()
    {
        var tenant = new TenantQuotas(TenantConfig.Create("files", Tier.Basic, s_storage));
        Assert.True(tenant.CheckReported("storage_bytes", 50, T0).IsAllowed); // 50 more would start a burst; a check starts none

        tenant.ReportGauge("storage_bytes", 120, T0);
        Assert.True(tenant.CheckReported("storage_bytes", 30, At(3599)).IsAllowed);
        Assert.False(tenant.CheckReported("storage_bytes", 31, At(3599)).IsAllowed); // past the ceiling
        var refused = Assert.IsType<AdmissionDecision.Deny>(tenant.CheckReported("storage_bytes", 1, At(3600)));
        Assert.Equal(ReasonCodes.StorageQuotaExceeded, refused.ReasonCode);

        // Read back, the burst goes on from when it began.
        var restored = TenantQuotas.FromSnapshot(tenant.ToSnapshot());
        Assert.True(restored.CheckReported("storage_bytes", 1, At(3599)).IsAllowed);
        Assert.False(restored.CheckReported("storage_bytes", 1, At(3600)).IsAllowed);

        // Back within the limit, the burst ends: room above it is given again, for a new burst.
        restored.ReportGauge("storage_bytes", 90, At(4000));
        Assert.True(restored.CheckReported("storage_bytes", 40, At(4000)).IsAllowed);
        restored.ReportGauge("storage_bytes", 130, At(4100));
        Assert.True(restored.CheckReported("storage_bytes", 10, At(4100 + 3599)).IsAllowed);
        Assert.False(restored.CheckReported("storage_bytes", 10, At(4100 + 3600)).IsAllowed);
    }
}
