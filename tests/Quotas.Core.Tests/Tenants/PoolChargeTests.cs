using System.Text.Json;
using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>
/// The charges of pool jobs are remembered apart from callers' event ids, until their pool says it will not send them
/// again: a pool retrying a charge after a crash counts it once however busy the tenant's callers were meanwhile.
/// </summary>
public sealed class PoolChargeTests
{
    private const string Charge = TenantQuotas.PoolJobKeyPrefix + "gpu/42/jobs";

    private static TenantQuotas Tenant() => new(TenantConfig.Create(
        "acme",
        Tier.Unlimited,
        QuotaDefinition.Budget(QuotaNames.Jobs, QuotaLimit.Hard(1_000_000), BudgetPeriod.Month),
        QuotaDefinition.Budget(QuotaNames.Cost, QuotaLimit.Hard(1_000_000), BudgetPeriod.Month)));

    /// <summary>More distinct events from callers than the tenant remembers of theirs.</summary>
    private static void CallersRecordMany(TenantQuotas tenant)
    {
        for (var i = 0; i <= BudgetLedger.RememberedEventIds; i++)
        {
            tenant.RecordUsage($"caller-{i}", QuotaNames.Cost, 1, T0);
        }
    }

    [Fact]
    public void A_pool_charge_sent_again_after_more_caller_events_than_the_tenant_remembers_counts_once()
    {
        var tenant = Tenant();
        Assert.False(tenant.RecordUsage(Charge, QuotaNames.Jobs, 1, T0).Duplicate);

        CallersRecordMany(tenant);
        var again = tenant.RecordUsage(Charge, QuotaNames.Jobs, 1, T0);

        Assert.True(again.Duplicate);
        Assert.Equal(1, again.Consumed);

        // Callers' own event ids keep their horizon: the first is forgotten, and counted again.
        Assert.False(tenant.RecordUsage("caller-0", QuotaNames.Cost, 1, T0).Duplicate);
    }

    [Fact]
    public void Pool_charges_do_not_push_a_caller_s_event_out_of_its_window_before_or_after_a_snapshot()
    {
        var tenant = Tenant();
        tenant.RecordUsage("caller-0", QuotaNames.Cost, 1, T0);
        for (var job = 0; job <= BudgetLedger.RememberedEventIds; job++)
        {
            tenant.RecordUsage($"{TenantQuotas.PoolJobKeyPrefix}gpu/{job}/jobs", QuotaNames.Jobs, 1, T0);
        }

        Assert.True(tenant.RecordUsage("caller-0", QuotaNames.Cost, 1, T0).Duplicate);

        // The stored list of events still names the pool charges, for a silo of the release before; read back here,
        // they are remembered apart again.
        var snapshot = tenant.ToSnapshot();
        Assert.Contains(Charge.Replace("42", "7", StringComparison.Ordinal), snapshot.SeenEventIds);
        Assert.Equal("caller-0", snapshot.SeenEventIds[^1]); // last: such a silo keeps the last 1,024
        var restored = TenantQuotas.FromSnapshot(JsonSerializer.Deserialize<TenantSnapshot>(JsonSerializer.Serialize(snapshot))!);
        Assert.True(restored.RecordUsage("caller-0", QuotaNames.Cost, 1, T0).Duplicate);
        Assert.True(restored.RecordUsage($"{TenantQuotas.PoolJobKeyPrefix}gpu/0/jobs", QuotaNames.Jobs, 1, T0).Duplicate);
        Assert.Equal(["caller-0"], restored.ToSnapshot().SeenEventIds.Where(id => !id.StartsWith(TenantQuotas.PoolJobKeyPrefix, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_pool_charge_is_forgotten_once_its_pool_says_so_and_only_then()
    {
        var tenant = Tenant();
        tenant.RecordUsage(Charge, QuotaNames.Jobs, 1, T0);

        Assert.Equal(0, tenant.ForgetPoolCharges([TenantQuotas.PoolJobKeyPrefix + "gpu/43/jobs", "caller-1"]));
        Assert.True(tenant.RecordUsage(Charge, QuotaNames.Jobs, 1, T0).Duplicate);
        Assert.Equal(1, tenant.ForgetPoolCharges([Charge]));
        Assert.Empty(tenant.ToSnapshot().PoolChargeIds);

        // Forgotten: the pool promised not to send it again, and one that does anyway is counted.
        Assert.False(tenant.RecordUsage(Charge, QuotaNames.Jobs, 1, T0).Duplicate);
    }

    [Fact]
    public void Pool_charges_survive_a_snapshot_and_an_older_snapshot_that_kept_them_among_caller_events_still_dedupes()
    {
        var tenant = Tenant();
        tenant.RecordUsage(Charge, QuotaNames.Jobs, 1, T0);
        var restored = TenantQuotas.FromSnapshot(JsonSerializer.Deserialize<TenantSnapshot>(JsonSerializer.Serialize(tenant.ToSnapshot()))!);
        Assert.Equal([Charge], restored.ToSnapshot().PoolChargeIds);
        Assert.True(restored.RecordUsage(Charge, QuotaNames.Jobs, 1, T0).Duplicate);

        // Before pool charges were kept apart they were stored with the callers' event ids, and no PoolChargeIds.
        var older = tenant.ToSnapshot();
        older.SeenEventIds = [Charge];
        older.PoolChargeIds = [];
        var json = JsonSerializer.Serialize(older).Replace(",\"PoolChargeIds\":[]", "", StringComparison.Ordinal);
        Assert.DoesNotContain("PoolChargeIds", json, StringComparison.Ordinal);
        var fromOlder = TenantQuotas.FromSnapshot(JsonSerializer.Deserialize<TenantSnapshot>(json)!);
        Assert.True(fromOlder.RecordUsage(Charge, QuotaNames.Jobs, 1, T0).Duplicate);
    }

    [Fact]
    public void Pool_charges_no_pool_acknowledges_are_bounded_oldest_first()
    {
        var tenant = Tenant();
        for (var job = 0; job <= BudgetLedger.RememberedPoolCharges; job++)
        {
            tenant.RecordUsage($"{TenantQuotas.PoolJobKeyPrefix}gpu/{job}/jobs", QuotaNames.Jobs, 1, T0);
        }

        var kept = tenant.ToSnapshot().PoolChargeIds;
        Assert.Equal(BudgetLedger.RememberedPoolCharges, kept.Count);
        Assert.Equal($"{TenantQuotas.PoolJobKeyPrefix}gpu/1/jobs", kept[0]);
    }
}
