using Quotas.Core.Billing;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// Metering: the usage recorded here rolls up with the usage event itself (<see cref="UsageRollups"/>, stored in the
/// same write), so the history and the statements read what is stored, and nothing waits on another grain.
/// </summary>
public sealed partial class TenantGrain
{
    public Task<UsageHistory> GetUsageHistory(RollupGranularity granularity, DateTimeOffset from, DateTimeOffset to, string? meter)
    {
        var tenant = Tenant();
        if (!Enum.IsDefined(granularity))
        {
            throw new QuotaValidationException(ValidationCodes.InvalidPeriod, $"Granularity {(int)granularity} is unknown: use hour, day or month.");
        }

        if (from >= to)
        {
            throw new QuotaValidationException(ValidationCodes.InvalidPeriod, $"from ({from:O}) must be before to ({to:O}).");
        }

        if (meter is not null)
        {
            QuotaNames.Validate(meter);
        }

        var now = time.GetUtcNow();
        var buckets = tenant.Metering?.Rollups.Buckets(granularity, from, to, meter, now) ?? [];
        return Task.FromResult(new UsageHistory(Id, granularity, from, to, UsageRollups.OldestKept(granularity, now), buckets));
    }

    public Task<BillingStatement> GetStatement(int year, int month) => Task.FromResult(Tenant().Statement(year, month, time.GetUtcNow()));

    public Task<PricingPlan?> GetPricingPlan() => Task.FromResult(Tenant().Metering?.Plans.Current);

    public async Task SetPricingPlan(PricingPlan? plan)
    {
        var tenant = Tenant();
        plan?.Validate();
        tenant.SetPricingPlan(plan, time.GetUtcNow());
        await CommitAsync(tenant);
    }
}
