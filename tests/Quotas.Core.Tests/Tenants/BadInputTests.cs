using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

public sealed class BadInputTests
{
    [Theory]
    [InlineData("")]
    [InlineData("-acme")]
    [InlineData("Acme")]
    [InlineData("acme_co")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    public void Invalid_tenant_ids_are_rejected(string id)
    {
        var e = Assert.Throws<QuotaValidationException>(() => TenantId.Parse(id));
        Assert.Equal(ValidationCodes.InvalidTenantId, e.Code);
        Assert.Contains("a-z", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("acme-eu-1")]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123")]
    public void Valid_tenant_ids_are_accepted(string id) => Assert.Equal(id, TenantId.Parse(id).Value);

    public static TheoryData<string, Action<TenantQuotas>> BadCalls => new()
    {
        { ValidationCodes.InvalidAmount, t => t.Acquire(QuotaNames.CpuMillicores, 0, Hour, null, T0) },
        { ValidationCodes.InvalidAmount, t => t.Acquire(QuotaNames.CpuMillicores, -5, Hour, null, T0) },
        { ValidationCodes.InvalidAmount, t => t.Acquire(QuotaNames.CpuMillicores, long.MaxValue, Hour, null, T0) },
        { ValidationCodes.InvalidTtl, t => t.Acquire(QuotaNames.CpuMillicores, 1, TimeSpan.Zero, null, T0) },
        { ValidationCodes.InvalidIdempotencyKey, t => t.Acquire(QuotaNames.CpuMillicores, 1, Hour, "has space", T0) },
        { ValidationCodes.UnknownQuota, t => t.Acquire("gpus", 1, Hour, null, T0) },
        { ValidationCodes.InvalidQuotaName, t => t.Acquire("GPU!", 1, Hour, null, T0) },
        { ValidationCodes.InvalidLeaseId, t => t.Release("", T0) },
        { ValidationCodes.InvalidTtl, t => t.Renew("acme:1", TimeSpan.FromDays(30), T0) },
        { ValidationCodes.InvalidAmount, t => t.CheckRate(QuotaNames.Requests, 0, T0) },
        { ValidationCodes.UnknownQuota, t => t.CheckRate("tweets", 1, T0) },
        { ValidationCodes.InvalidEventId, t => t.RecordUsage("", QuotaNames.Jobs, 1, T0) },
        { ValidationCodes.InvalidAmount, t => t.RecordUsage("e1", QuotaNames.Jobs, -1, T0) },
        { ValidationCodes.UnknownQuota, t => t.RecordUsage("e1", "tweets", 1, T0) },
        { ValidationCodes.InvalidAmount, t => t.ReportGauge(QuotaNames.StorageBytes, -1, T0) },
        { ValidationCodes.InvalidLeaseId, t => t.ReserveForChild(" ", QuotaNames.CpuMillicores, 1, Hour, T0) },
    };

    [Theory]
    [MemberData(nameof(BadCalls))]
    public void Bad_input_throws_a_typed_error_and_changes_no_state(string code, Action<TenantQuotas> call)
    {
        var tenant = Basic();
        tenant.Acquire(QuotaNames.CpuMillicores, 300, Hour, "k1", T0);
        tenant.RecordUsage("e0", QuotaNames.Jobs, 3, T0);
        var before = Json(tenant);

        var e = Assert.Throws<QuotaValidationException>(() => call(tenant));

        Assert.Equal(code, e.Code);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.Equal(before, Json(tenant));
    }

    [Fact]
    public void Overflowing_unlimited_usage_is_rejected()
    {
        var tenant = Basic();
        for (var i = 0; i < 1023; i++) // 1023 · 2^53 fits; one more is 2^63
        {
            tenant.Acquire(QuotaNames.Workers, QuotaLimit.MaxValue, Hour, null, T0);
        }

        var before = Json(tenant);
        Assert.Equal(ValidationCodes.AmountOverflow, Assert.Throws<QuotaValidationException>(() => tenant.Acquire(QuotaNames.Workers, QuotaLimit.MaxValue, Hour, null, T0)).Code);
        Assert.Equal(before, Json(tenant));
    }

    [Fact]
    public void Invalid_definitions_are_rejected()
    {
        Assert.Equal(ValidationCodes.InvalidWindow, Assert.Throws<QuotaValidationException>(() => QuotaDefinition.SlidingWindow("x", QuotaLimit.Hard(1), TimeSpan.FromDays(2))).Code);
        Assert.Equal(ValidationCodes.InvalidBucketCount, Assert.Throws<QuotaValidationException>(() => QuotaDefinition.SlidingWindow("x", QuotaLimit.Hard(1), TimeSpan.FromMinutes(1), 7)).Code);
        Assert.Equal(ValidationCodes.InvalidLimit, Assert.Throws<QuotaValidationException>(() => QuotaLimit.Soft(10, 5, TimeSpan.FromMinutes(1), TimeSpan.Zero)).Code);
        Assert.Equal(ValidationCodes.InvalidLimit, Assert.Throws<QuotaValidationException>(() => QuotaLimit.Hard(-2)).Code);
        Assert.Equal(ValidationCodes.DuplicateQuota, Assert.Throws<QuotaValidationException>(() => Basic("dup", QuotaDefinition.Gauge("a", QuotaLimit.Hard(1)), QuotaDefinition.Gauge("a", QuotaLimit.Hard(2)))).Code);
        Assert.Equal(ValidationCodes.InvalidThreshold, Assert.Throws<QuotaValidationException>(() => new TenantQuotas(TenantConfig.Create("t", Tier.Basic) with { AlertThresholds = [95, 80] })).Code);
    }
}
