using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

/// <summary>The fair order blended with decayed past usage (<see cref="PoolConfig.HistoryBlend"/>), on one worker slot.</summary>
public sealed class HistoryBlendTests
{
    private static FairShareScheduler Pool(double blend) =>
        new(WorkerPool(1, new TenantShare(Id("a")), new TenantShare(Id("b"))) with { HistoryBlend = blend });

    [Theory]
    [InlineData(1.0, "b")] // a held the slot for 600 s, b for 1 s: b goes first
    [InlineData(0.0, "a")] // current allocation only (both 0): the tenant served longest ago, a
    public void Past_usage_puts_the_tenant_that_used_less_first(double blend, string first)
    {
        var s = Pool(blend);
        var a1 = s.Submit("a", Workers(1), now: T0);
        s.Lease(Workers(1), T0);
        s.Complete(a1.Id, true, null, T0.AddSeconds(600));
        var b1 = s.Submit("b", Workers(1), now: T0.AddSeconds(600));
        s.Lease(Workers(1), T0.AddSeconds(600));
        s.Complete(b1.Id, true, null, T0.AddSeconds(601));

        s.Submit("a", Workers(1), now: T0.AddSeconds(601));
        s.Submit("b", Workers(1), now: T0.AddSeconds(601));

        Assert.Equal(Id(first), Assert.Single(s.Lease(Workers(1), T0.AddSeconds(601))).Tenant);
    }

    [Fact]
    public void Time_held_by_a_job_that_did_not_complete_counts_in_its_tenants_past_usage()
    {
        var s = Pool(1.0);
        var b1 = s.Submit("b", Workers(1), now: T0);
        s.Lease(Workers(1), T0);
        s.Complete(b1.Id, true, null, T0.AddSeconds(1));
        var a1 = s.Submit("a", Workers(1), now: T0.AddSeconds(1));
        s.Lease(Workers(1), T0.AddSeconds(1));

        // a's job held the slot for 600 s and was preempted: that time weighs as a completed job's would.
        Assert.Equal(CompletionStatus.Requeued, s.Complete(a1.Id, JobOutcome.Preempted, null, T0.AddSeconds(601)).Status);
        s.Submit("b", Workers(1), now: T0.AddSeconds(601));

        Assert.Equal(Id("b"), Assert.Single(s.Lease(Workers(1), T0.AddSeconds(601))).Tenant);
    }

    [Fact]
    public void Past_usage_of_a_tenant_that_never_completed_a_job_survives_a_snapshot()
    {
        var s = Pool(1.0);
        var a1 = s.Submit("a", Workers(1), now: T0);
        s.Lease(Workers(1), T0);
        s.Complete(a1.Id, JobOutcome.Preempted, null, T0.AddSeconds(600));

        var restored = FairShareScheduler.FromSnapshot(s.ToSnapshot());

        Assert.True(s.GetTenantUsage(Id("a")).WeightedShare > 0);
        Assert.Equal(s.GetTenantUsage(Id("a")).WeightedShare, restored.GetTenantUsage(Id("a")).WeightedShare, 1e-12);
    }

    [Fact]
    public void A_late_report_of_a_job_queued_again_counts_no_time_twice()
    {
        var s = Pool(1.0);
        var a1 = s.Submit("a", Workers(1), now: T0);
        s.Lease(Workers(1), T0);
        s.ExpireLeases(T0 + Ttl); // counted: 30 s held
        var afterExpiry = s.GetTenantUsage(Id("a")).WeightedShare;

        s.Complete(a1.Id, true, null, T0.AddSeconds(600)); // the report of the lost lease arrives late

        // Only the decay of the 570 s since (half-life 1 h) lowers it; counting the 600 s again would raise it.
        Assert.True(afterExpiry > 0);
        Assert.Equal(afterExpiry * Math.Pow(0.5, 570.0 / 3600), s.GetTenantUsage(Id("a")).WeightedShare, 1e-12);
    }

    /// <summary>
    /// Past usage decays by when it was used, not by when its job ended: one job that held the pool for 10 hours and ten
    /// jobs of an hour each, back to back, leave the same history (half-life 1 h). Counted undecayed at the end of each
    /// job, the long one weighed 6.93 and the ten short ones 1.39, and the long one's excess never decayed away.
    /// </summary>
    [Fact]
    public void One_long_job_and_the_same_usage_in_short_jobs_leave_the_same_past_usage()
    {
        var s = Pool(1.0);
        var end = T0.AddHours(10);
        var a1 = s.Submit("a", Workers(1), now: T0);
        s.Lease(Workers(1), T0, worker: "wa");
        s.Complete(a1.Id, true, null, end);

        var t = new FairShareScheduler(WorkerPool(1, new TenantShare(Id("b"))) with { HistoryBlend = 1.0 });
        for (var hour = 0; hour < 10; hour++)
        {
            var b = t.Submit("b", Workers(1), now: T0.AddHours(hour));
            t.Lease(Workers(1), T0.AddHours(hour), worker: "wb");
            t.Complete(b.Id, true, null, T0.AddHours(hour + 1));
        }

        var expected = 1 - Math.Pow(0.5, 10); // the pool held for 10 half-lives: the share of the window it fills
        Assert.Equal(expected, s.GetTenantUsage(Id("a")).WeightedShare, 1e-9);
        Assert.Equal(expected, t.GetTenantUsage(Id("b")).WeightedShare, 1e-9);
    }

    [Fact]
    public void A_tenant_that_held_the_whole_pool_for_a_long_time_scores_at_most_one()
    {
        var s = Pool(1.0);
        var a1 = s.Submit("a", Workers(1), now: T0);
        s.Lease(Workers(1), T0);
        s.Complete(a1.Id, true, null, T0.AddDays(30));

        Assert.Equal(1.0, s.GetTenantUsage(Id("a")).WeightedShare, 1e-9);
    }
}
