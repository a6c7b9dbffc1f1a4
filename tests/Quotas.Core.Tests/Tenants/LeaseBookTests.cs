using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

public sealed class LeaseBookTests
{
    [Fact]
    public void Acquire_within_limit_allows_with_lease_and_remaining()
    {
        var tenant = Basic();
        var allow = Assert.IsType<AdmissionDecision.Allow>(tenant.Acquire(QuotaNames.CpuMillicores, 600, Hour, null, T0));
        Assert.Equal($"acme:{(T0 - DateTimeOffset.UnixEpoch).Ticks / 10}", allow.LeaseId); // numbered from the microseconds since the epoch
        Assert.Equal(T0 + Hour, allow.ExpiresAt);
        Assert.Equal(400, allow.Remaining);
    }

    [Fact]
    public void Held_leases_are_the_live_ones_in_id_order_after_the_cursor_with_those_held_for_a_child_marked()
    {
        var tenant = Basic();
        var shortLived = (AdmissionDecision.Allow)tenant.Acquire(QuotaNames.CpuMillicores, 100, TimeSpan.FromMinutes(1), null, T0);
        var own = (AdmissionDecision.Allow)tenant.Acquire(QuotaNames.CpuMillicores, 200, Hour, null, T0.AddTicks(10));
        var forChild = (AdmissionDecision.Allow)tenant.ReserveForChild("kid:1", QuotaNames.CpuMillicores, 300, Hour, T0.AddTicks(20));
        var now = T0.AddMinutes(1); // the first lease ran out, not yet swept

        Assert.Null(tenant.HeldLease(shortLived.LeaseId!, now));
        Assert.Null(tenant.HeldLease("acme:no-such-lease", now));
        Assert.Equal(new HeldLease(own.LeaseId!, QuotaNames.CpuMillicores, 200, T0.AddTicks(10) + Hour, HeldByService: false), tenant.HeldLease(own.LeaseId!, now));
        Assert.Equal([own.LeaseId, forChild.LeaseId], tenant.HeldLeases(null, 10, now).Select(lease => lease.LeaseId));
        Assert.True(Assert.Single(tenant.HeldLeases(own.LeaseId, 10, now)).HeldByService);
        Assert.Equal(own.LeaseId, Assert.Single(tenant.HeldLeases(shortLived.LeaseId, 1, now)).LeaseId);
        Assert.Equal(3, tenant.HeldLeases(null, 10, T0).Count);
    }

    [Fact]
    public void Full_gauge_queues_until_the_earliest_lease_expiry()
    {
        var tenant = Basic();
        tenant.Acquire(QuotaNames.CpuMillicores, 600, TimeSpan.FromMinutes(5), null, T0);
        tenant.Acquire(QuotaNames.CpuMillicores, 400, TimeSpan.FromMinutes(2), null, T0);
        var queued = Assert.IsType<AdmissionDecision.Queue>(tenant.Acquire(QuotaNames.CpuMillicores, 1, Hour, null, T0.AddMinutes(1)));
        Assert.Equal(ReasonCodes.QuotaExhausted, queued.Reason);
        Assert.Equal(TimeSpan.FromMinutes(1), queued.RetryAfter);
        Assert.Equal((1000L, 1000L), (queued.Current, queued.Limit)); // what live leases hold, and the limit

        Assert.True(tenant.Acquire(QuotaNames.CpuMillicores, 400, Hour, null, T0.AddMinutes(2)).IsAllowed); // the 400 expired
    }

    /// <summary>The retry-after is when enough has run out for the request, not when the first lease does (which may free too little).</summary>
    [Fact]
    public void Full_gauge_queues_until_enough_has_expired_for_the_request()
    {
        var tenant = Basic();
        tenant.Acquire(QuotaNames.CpuMillicores, 100, TimeSpan.FromMinutes(1), null, T0);
        tenant.Acquire(QuotaNames.CpuMillicores, 900, Hour, null, T0);

        var small = Assert.IsType<AdmissionDecision.Queue>(tenant.Acquire(QuotaNames.CpuMillicores, 100, Hour, null, T0));
        var large = Assert.IsType<AdmissionDecision.Queue>(tenant.Acquire(QuotaNames.CpuMillicores, 500, Hour, null, T0));

        Assert.Equal(TimeSpan.FromMinutes(1), small.RetryAfter);
        Assert.Equal(Hour, large.RetryAfter);
        Assert.False(tenant.Acquire(QuotaNames.CpuMillicores, 500, Hour, null, T0.AddMinutes(1)).IsAllowed);
        Assert.True(tenant.Acquire(QuotaNames.CpuMillicores, 500, Hour, null, T0 + Hour).IsAllowed);
    }

    [Fact]
    public void Request_larger_than_the_limit_is_denied()
    {
        var deny = Assert.IsType<AdmissionDecision.Deny>(Basic().Acquire(QuotaNames.MemoryMb, 513, Hour, null, T0));
        Assert.Equal(ReasonCodes.RequestExceedsLimit, deny.ReasonCode);
        Assert.Equal(512, deny.Limit);
        Assert.Null(deny.RetryAfter);
    }

    [Fact]
    public void Retried_acquire_with_the_same_key_returns_the_same_lease()
    {
        var tenant = Basic();
        var first = Assert.IsType<AdmissionDecision.Allow>(tenant.Acquire(QuotaNames.CpuMillicores, 500, Hour, "job-7", T0));
        var retry = Assert.IsType<AdmissionDecision.Allow>(tenant.Acquire(QuotaNames.CpuMillicores, 500, Hour, "job-7", T0.AddSeconds(3)));
        Assert.Equal(first.LeaseId, retry.LeaseId);
        Assert.Equal(first.ExpiresAt, retry.ExpiresAt);
        Assert.Equal(500, tenant.Gauges.Usage(QuotaNames.CpuMillicores));

        Assert.True(tenant.Release(first.LeaseId!, T0));
        var afterRelease = Assert.IsType<AdmissionDecision.Allow>(tenant.Acquire(QuotaNames.CpuMillicores, 500, Hour, "job-7", T0));
        Assert.Equal(first.LeaseId, afterRelease.LeaseId);
        Assert.Equal(0, tenant.Gauges.Usage(QuotaNames.CpuMillicores));
    }

    [Fact]
    public void Same_key_for_a_different_request_is_rejected_without_change()
    {
        var tenant = Basic();
        tenant.Acquire(QuotaNames.CpuMillicores, 500, Hour, "job-7", T0);
        var before = Json(tenant);
        var e = Assert.Throws<QuotaValidationException>(() => tenant.Acquire(QuotaNames.CpuMillicores, 501, Hour, "job-7", T0));
        Assert.Equal(ValidationCodes.IdempotencyKeyConflict, e.Code);
        Assert.Equal(before, Json(tenant));
    }

    [Fact]
    public void Second_release_changes_nothing()
    {
        var tenant = Basic();
        var lease = ((AdmissionDecision.Allow)tenant.Acquire(QuotaNames.CpuMillicores, 100, Hour, null, T0)).LeaseId!;
        tenant.Acquire(QuotaNames.CpuMillicores, 200, Hour, null, T0);
        Assert.True(tenant.Release(lease, T0));
        var before = Json(tenant);
        Assert.False(tenant.Release(lease, T0));
        Assert.Equal(before, Json(tenant));
        Assert.Equal(200, tenant.Gauges.Usage(QuotaNames.CpuMillicores));
    }

    [Fact]
    public void Renew_extends_and_expire_due_releases_expired_leases()
    {
        var tenant = Basic();
        var a = ((AdmissionDecision.Allow)tenant.Acquire(QuotaNames.CpuMillicores, 100, TimeSpan.FromSeconds(30), null, T0)).LeaseId!;
        tenant.Acquire(QuotaNames.CpuMillicores, 200, TimeSpan.FromSeconds(30), null, T0);
        var renewal = tenant.Renew(a, TimeSpan.FromMinutes(1), T0.AddSeconds(20));
        Assert.True(renewal.Renewed);
        Assert.Equal(T0.AddSeconds(80), renewal.ExpiresAt);

        Assert.Equal(1, tenant.ExpireDue(T0.AddSeconds(30)));
        Assert.Equal(100, tenant.Gauges.Usage(QuotaNames.CpuMillicores));
        Assert.Equal(1, tenant.ExpireDue(T0.AddSeconds(80)));
        Assert.Equal(0, tenant.Gauges.Usage(QuotaNames.CpuMillicores));
        Assert.Equal(ReasonCodes.LeaseNotFound, tenant.Renew(a, Hour, T0.AddSeconds(81)).ReasonCode);
    }

    [Fact]
    public void Suspended_tenant_is_denied_everywhere_but_keeps_its_leases()
    {
        var tenant = Basic();
        var lease = ((AdmissionDecision.Allow)tenant.Acquire(QuotaNames.CpuMillicores, 100, Hour, null, T0)).LeaseId!;
        tenant.SetStatus(TenantStatus.Suspended);

        Assert.Equal(ReasonCodes.TenantSuspended, Assert.IsType<AdmissionDecision.Deny>(tenant.Acquire(QuotaNames.CpuMillicores, 1, Hour, null, T0)).ReasonCode);
        Assert.Equal(ReasonCodes.TenantSuspended, tenant.CheckRate(QuotaNames.Requests, 1, T0).ReasonCode);
        Assert.Equal(ReasonCodes.TenantSuspended, Assert.IsType<AdmissionDecision.Deny>(tenant.CheckBudget(QuotaNames.Jobs, 1, T0)).ReasonCode);
        Assert.Equal(ReasonCodes.TenantSuspended, Assert.IsType<AdmissionDecision.Deny>(tenant.ReserveForChild("kid:1", QuotaNames.CpuMillicores, 1, Hour, T0)).ReasonCode);
        Assert.Equal(100, tenant.Gauges.Usage(QuotaNames.CpuMillicores));
        Assert.Single(tenant.Gauges.Leases());

        tenant.SetStatus(TenantStatus.Active);
        Assert.True(tenant.Release(lease, T0));
    }

    /// <summary>
    /// Limit 10, ceiling 20, bursts of 10 s. Over the ceiling after its burst ran out, an acquisition is admitted by a new
    /// burst as soon as the usage is back within the limit (a gauge starts one then), before it would fit within the limit.
    /// </summary>
    [Fact]
    public void A_refusal_over_the_ceiling_names_the_next_burst_when_it_comes_before_the_request_fits_the_limit()
    {
        var cpu = QuotaNames.CpuMillicores;
        var tenant = Basic("soft-retry", QuotaDefinition.Gauge(cpu, QuotaLimit.Soft(10, 20, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5))));
        Assert.True(tenant.Acquire(cpu, 8, TimeSpan.FromSeconds(100), null, T0).IsAllowed);
        Assert.True(tenant.Acquire(cpu, 6, TimeSpan.FromSeconds(50), null, T0).IsAllowed); // 14: a burst starts at 0
        Assert.True(tenant.Acquire(cpu, 1, TimeSpan.FromSeconds(20), null, T0).IsAllowed); // 15

        var refused = Assert.IsType<AdmissionDecision.Queue>(tenant.Acquire(cpu, 6, Hour, null, T0.AddSeconds(8))); // 21 > 20
        Assert.Equal(ReasonCodes.QuotaExhausted, refused.Reason);
        Assert.Equal(TimeSpan.FromSeconds(42), refused.RetryAfter); // at 50 s usage is 8: a new burst takes it to 14

        Assert.True(tenant.Acquire(cpu, 6, Hour, null, T0.AddSeconds(50)).IsAllowed);
    }

    [Fact]
    public void Soft_limit_bursts_to_the_ceiling_then_is_enforced_after_the_max_burst()
    {
        var tenant = Basic("soft", QuotaDefinition.Gauge(
            QuotaNames.CpuMillicores, QuotaLimit.Soft(100, 150, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(5))));
        var cpu = QuotaNames.CpuMillicores;

        Assert.True(tenant.Acquire(cpu, 100, Hour, null, T0).IsAllowed);
        var burst = (AdmissionDecision.Allow)tenant.Acquire(cpu, 30, Hour, null, T0.AddMinutes(1)); // burst starts at 1 min
        Assert.Equal(0, burst.Remaining);
        Assert.Equal(ReasonCodes.QuotaExhausted, Assert.IsType<AdmissionDecision.Queue>(tenant.Acquire(cpu, 30, Hour, null, T0.AddMinutes(2))).Reason);
        var twenty = (AdmissionDecision.Allow)tenant.Acquire(cpu, 20, Hour, null, T0.AddMinutes(2)); // 150 = ceiling
        Assert.Equal(150, tenant.Gauges.Usage(cpu));

        Assert.True(tenant.Release(twenty.LeaseId!, T0.AddMinutes(10)));
        Assert.True(tenant.Acquire(cpu, 1, Hour, null, T0.AddMinutes(10).AddSeconds(59)).IsAllowed); // 9m59s into the burst
        Assert.Equal(ReasonCodes.SoftBurstExpired, Assert.IsType<AdmissionDecision.Queue>(tenant.Acquire(cpu, 1, Hour, null, T0.AddMinutes(11))).Reason);

        Assert.True(tenant.Renew(burst.LeaseId!, Hour, T0.AddMinutes(15)).Renewed); // within grace (until 16 min)
        var refused = tenant.Renew(burst.LeaseId!, Hour, T0.AddMinutes(16));
        Assert.False(refused.Renewed);
        Assert.Equal(ReasonCodes.SoftGraceExpired, refused.ReasonCode);
        Assert.Equal((cpu, 131L, 100L), (refused.Quota, refused.Current, refused.Limit)); // the quota that refused, as it stands

        Assert.True(tenant.Release(burst.LeaseId!, T0.AddMinutes(17)));                 // 101 still above
        Assert.False(tenant.Acquire(cpu, 1, Hour, null, T0.AddMinutes(17)).IsAllowed);
        tenant.Gauges.Leases().Where(l => l.Amount == 1).ToList().ForEach(l => tenant.Release(l.LeaseId, T0.AddMinutes(17)));
        Assert.True(tenant.Acquire(cpu, 40, Hour, null, T0.AddMinutes(18)).IsAllowed);    // back at 100: burst re-armed
    }

    /// <summary>
    /// A soft gauge refused over its ceiling tells the wait until the request is admitted: its burst runs out before a
    /// lease frees enough under the ceiling, so the wait is until it fits within the limit (it was until it fitted under
    /// the ceiling, 8 s, when the burst had run out and the retry was refused again).
    /// </summary>
    [Fact]
    public void A_soft_gauge_refused_over_its_ceiling_waits_until_the_request_is_admitted()
    {
        var tenant = Basic("soft", QuotaDefinition.Gauge(QuotaNames.Workers, QuotaLimit.Soft(4, 6, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5))));
        var workers = QuotaNames.Workers;
        Assert.True(tenant.Acquire(workers, 1, TimeSpan.FromSeconds(10), null, T0).IsAllowed);
        Assert.True(tenant.Acquire(workers, 5, TimeSpan.FromSeconds(60), null, T0.AddSeconds(1)).IsAllowed); // 6: a burst from 1 s

        var refused = Assert.IsType<AdmissionDecision.Queue>(tenant.Acquire(workers, 1, Hour, null, T0.AddSeconds(2)));

        Assert.Equal(TimeSpan.FromSeconds(59), refused.RetryAfter); // both leases gone at 61 s
        Assert.True(tenant.Acquire(workers, 1, Hour, null, T0.AddSeconds(2) + refused.RetryAfter).IsAllowed);
    }

    /// <summary>The same with a burst that still runs once the request fits under the ceiling: the wait is until then.</summary>
    [Fact]
    public void A_soft_gauge_refused_over_its_ceiling_while_its_burst_runs_waits_until_it_fits_under_the_ceiling()
    {
        var tenant = Basic("soft", QuotaDefinition.Gauge(QuotaNames.Workers, QuotaLimit.Soft(4, 6, TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5))));
        var workers = QuotaNames.Workers;
        Assert.True(tenant.Acquire(workers, 1, TimeSpan.FromSeconds(10), null, T0).IsAllowed);
        Assert.True(tenant.Acquire(workers, 5, TimeSpan.FromSeconds(60), null, T0.AddSeconds(1)).IsAllowed); // a burst from 1 s

        var refused = Assert.IsType<AdmissionDecision.Queue>(tenant.Acquire(workers, 1, Hour, null, T0.AddSeconds(2)));

        Assert.Equal(TimeSpan.FromSeconds(8), refused.RetryAfter); // the first lease ends at 10 s, 9 s into the burst
        Assert.True(tenant.Acquire(workers, 1, Hour, null, T0.AddSeconds(2) + refused.RetryAfter).IsAllowed);
    }

    [Fact]
    public void Absent_well_known_gauge_is_unlimited_and_unknown_names_are_rejected()
    {
        var tenant = Basic();
        var allow = (AdmissionDecision.Allow)tenant.Acquire(QuotaNames.Workers, 1_000_000, Hour, null, T0);
        Assert.Equal(-1, allow.Remaining);
        Assert.Equal(ValidationCodes.UnknownQuota, Assert.Throws<QuotaValidationException>(() => tenant.Acquire("producers", 1, Hour, null, T0)).Code);

        var custom = Basic("custom", QuotaDefinition.Gauge("producers", QuotaLimit.Hard(2)));
        Assert.True(custom.Acquire("producers", 2, Hour, null, T0).IsAllowed);
        Assert.False(custom.Acquire("producers", 1, Hour, null, T0).IsAllowed);
    }
}
