using System.Text.Json;
using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

public sealed class SnapshotTests
{
    [Fact]
    public void Snapshot_round_trips_through_json_with_behaviour_intact()
    {
        var config = TenantConfig.Create(
            "acme",
            Tier.Premium,
            QuotaDefinition.Gauge(QuotaNames.CpuMillicores, QuotaLimit.Soft(100, 150, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1))),
            QuotaDefinition.Budget(QuotaNames.Cost, QuotaLimit.Hard(5000), BudgetPeriod.Month),
            QuotaDefinition.Reported(QuotaNames.StorageBytes, QuotaLimit.Hard(1 << 30))) with
        {
            TimeZoneId = "Europe/Berlin",
            ParentId = TenantId.Parse("holding"),
            AlertThresholds = [50, 90],
        };
        var tenant = new TenantQuotas(config, [QuotaDefinition.Gauge(QuotaNames.Workers, QuotaLimit.Hard(3))]);
        var kept = (AdmissionDecision.Allow)tenant.Acquire(QuotaNames.CpuMillicores, 120, Hour, "job-1", T0);
        var released = (AdmissionDecision.Allow)tenant.Acquire(QuotaNames.Workers, 1, Hour, "job-2", T0);
        tenant.Release(released.LeaseId!, T0);
        tenant.ReserveForChild("kid:7", QuotaNames.MemoryMb, 10, Hour, T0);
        tenant.RecordUsage("evt-1", QuotaNames.Cost, 4000, T0);
        tenant.ReportGauge(QuotaNames.StorageBytes, 12345, T0);
        tenant.Acquire(QuotaNames.Workers, 4, Hour, null, T0); // a violation
        tenant.CheckRate(QuotaNames.Requests, 10, T0);          // in memory only
        var inFlight = tenant.Outbox.NextBatch(out _)!;          // the usage above, on its way to the parent
        tenant.RecordChildUsage("kid/life-1", new UsageBatch(3, [new QuotaAmount(QuotaNames.Cost, 5, T0)]), T0); // pending

        var json = JsonSerializer.Serialize(tenant.ToSnapshot());
        var restored = TenantQuotas.FromSnapshot(JsonSerializer.Deserialize<TenantSnapshot>(json)!);

        Assert.Equal(json, JsonSerializer.Serialize(restored.ToSnapshot()));
        Assert.Equal(kept.LeaseId, ((AdmissionDecision.Allow)restored.Acquire(QuotaNames.CpuMillicores, 120, Hour, "job-1", T0)).LeaseId);
        Assert.Equal(released.LeaseId, ((AdmissionDecision.Allow)restored.Acquire(QuotaNames.Workers, 1, Hour, "job-2", T0)).LeaseId);
        Assert.True(restored.RecordUsage("evt-1", QuotaNames.Cost, 4000, T0).Duplicate);
        Assert.Equal(ReasonCodes.BudgetExhausted, ((AdmissionDecision.Deny)restored.CheckBudget(QuotaNames.Cost, 1001, T0)).ReasonCode);
        Assert.Equal(3, restored.Effective.First(q => q.Name == QuotaNames.Workers).Limit.Limit);
        Assert.Equal(2, restored.Stats(T0).TotalViolations); // the restored one plus the budget denial just above
        Assert.True(restored.RollbackChildReservation("kid:7", T0));
        var fresh = (AdmissionDecision.Allow)restored.Acquire(QuotaNames.Workers, 1, Hour, null, T0);
        Assert.Equal($"acme:{((T0 - DateTimeOffset.UnixEpoch).Ticks / 10) + 3}", fresh.LeaseId); // sequence continues, ids never reused
        Assert.Equal(500, restored.CheckRate(QuotaNames.Requests, 1, T0).Remaining + 1); // windows start empty
        var resent = restored.Outbox.NextBatch(out var cut)!;
        Assert.False(cut);
        Assert.Equal(inFlight.Sequence, resent.Sequence);
        Assert.Equal(inFlight.Amounts, resent.Amounts);
        Assert.Equal([new QuotaAmount(QuotaNames.Cost, 5, QuotaAmount.SlotOf(T0))], restored.Outbox.Pending);
        Assert.False(restored.RecordChildUsage("kid/life-1", new UsageBatch(3, [new QuotaAmount(QuotaNames.Cost, 5, T0)]), T0));
    }

    /// <summary>
    /// What each event id was recorded as is stored with it, so a resend with other usage is refused after a restart
    /// too; a row of an earlier release, which stored the ids alone, answers its ids as duplicates, as it did.
    /// </summary>
    [Fact]
    public void What_an_event_id_was_recorded_as_survives_a_restore_and_rows_without_it_still_read()
    {
        var tenant = new TenantQuotas(TenantConfig.Create("acme", Tier.Premium, QuotaDefinition.Budget(QuotaNames.Cost, QuotaLimit.Hard(5000), BudgetPeriod.Month)));
        tenant.RecordUsage(TenantQuotas.PoolJobKeyPrefix + "p/1", QuotaNames.Cost, 1, T0); // a pool charge, stored before the callers' ids
        tenant.RecordUsage("evt-1", QuotaNames.Cost, 40, T0);
        tenant.RecordUsage("evt-2", QuotaNames.Cost, 60, T0);
        var snapshot = tenant.ToSnapshot();

        var restored = TenantQuotas.FromSnapshot(JsonSerializer.Deserialize<TenantSnapshot>(JsonSerializer.Serialize(snapshot))!);
        var earlier = JsonSerializer.Deserialize<TenantSnapshot>(JsonSerializer.Serialize(snapshot))!;
        earlier.SeenEventRecords = null;
        var fromEarlierRow = TenantQuotas.FromSnapshot(earlier);

        Assert.Equal([new RecordedEvent(QuotaNames.Cost, 40), new RecordedEvent(QuotaNames.Cost, 60)], snapshot.SeenEventRecords);
        var refused = Assert.Throws<QuotaValidationException>(() => restored.RecordUsage("evt-2", QuotaNames.Cost, 61, T0));
        Assert.Contains("recorded as 60 of", refused.Message, StringComparison.Ordinal);
        Assert.True(restored.RecordUsage("evt-1", QuotaNames.Cost, 40, T0).Duplicate);
        Assert.True(fromEarlierRow.RecordUsage("evt-2", QuotaNames.Cost, 61, T0).Duplicate);
    }

    [Fact]
    public void Decisions_serialize_with_an_outcome_discriminator()
    {
        AdmissionDecision decision = new AdmissionDecision.Deny(ReasonCodes.RateLimited, "requests", 100, 100, TimeSpan.FromSeconds(3));
        var json = JsonSerializer.Serialize(decision);
        Assert.Contains("\"outcome\":\"deny\"", json, StringComparison.Ordinal);
        Assert.Equal(decision, JsonSerializer.Deserialize<AdmissionDecision>(json));
    }
}
