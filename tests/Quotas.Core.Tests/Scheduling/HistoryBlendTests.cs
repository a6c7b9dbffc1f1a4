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

    /// <summary>
    /// A running job weighs in the blended order as it runs: a held a slot for the last hour with a job still running,
    /// b held one for a minute; the next slot goes to b. Running jobs counted nothing until their lease ended, so a,
    /// with no finished usage, went first, and a tenant running week-long jobs had no history for a week.
    /// </summary>
    [Fact]
    public void A_running_job_weighs_in_its_tenants_past_usage_before_it_ends()
    {
        var s = new FairShareScheduler(WorkerPool(2, new TenantShare(Id("a")), new TenantShare(Id("b"))) with { HistoryBlend = 1.0 });
        s.Submit("a", Workers(1), now: T0);
        var b1 = s.Submit("b", Workers(1), now: T0);
        Assert.Equal(2, s.Lease(Workers(2), T0).Count);
        s.Complete(b1.Id, true, null, T0.AddMinutes(1));

        s.Submit("a", Workers(1), now: T0.AddHours(1));
        s.Submit("b", Workers(1), now: T0.AddHours(1));

        Assert.Equal(Id("b"), Assert.Single(s.Lease(Workers(1), T0.AddHours(1))).Tenant);
    }

    /// <summary>
    /// What a running job has accrued is what its end records: the tenant's past usage does not jump when the job
    /// completes, and a snapshot taken while it runs restores it.
    /// </summary>
    [Fact]
    public void A_running_jobs_usage_is_what_its_end_records_and_survives_a_snapshot()
    {
        var s = new FairShareScheduler(WorkerPool(2, new TenantShare(Id("a")), new TenantShare(Id("b"))) with { HistoryBlend = 1.0 });
        var a1 = s.Submit("a", Workers(1), now: T0);
        s.Lease(Workers(1), T0);
        var later = T0.AddMinutes(90);
        Assert.Empty(s.Lease(Workers(1), later)); // nothing queued: the tenants' places in the order are worked out again

        var running = s.GetTenantUsage(Id("a")).WeightedShare;
        var restored = FairShareScheduler.FromSnapshot(s.ToSnapshot());
        Assert.Empty(restored.Lease(Workers(1), later));
        s.Complete(a1.Id, true, null, later);

        var expected = (1 - Math.Pow(0.5, 1.5)) / 2; // one of two slots, held for 1.5 half-lives
        Assert.Equal(expected, running, 1e-9);
        Assert.Equal(expected, s.GetTenantUsage(Id("a")).WeightedShare, 1e-9);
        Assert.Equal(expected, restored.GetTenantUsage(Id("a")).WeightedShare, 1e-9);
    }

    /// <summary>Jobs leased far apart (100 half-lives: the weights' reference moves up on the way) each accrue their own time.</summary>
    [Fact]
    public void Running_jobs_leased_a_hundred_half_lives_apart_each_accrue_their_own_time()
    {
        var s = new FairShareScheduler(WorkerPool(2, new TenantShare(Id("a"))) with { HistoryBlend = 1.0 });
        s.Submit("a", Workers(1), now: T0);
        s.Lease(Workers(1), T0);
        s.Submit("a", Workers(1), now: T0.AddHours(100));
        s.Lease(Workers(1), T0.AddHours(100));

        Assert.Empty(s.Lease(Workers(1), T0.AddHours(100.5)));

        var expected = ((1 - Math.Pow(0.5, 100.5)) + (1 - Math.Pow(0.5, 0.5))) / 2;
        Assert.Equal(expected, s.GetTenantUsage(Id("a")).WeightedShare, 1e-9);
    }

    /// <summary>
    /// A pool read back while a tenant's only jobs run (no finished usage, so no time of its history) reports a finite
    /// share for it, in a pool of two resources its jobs use one of: the running usage was worked out at the start of
    /// time, and 2 to the power of that times the unused resource's zero weight made the share NaN, which no answer
    /// could carry.
    /// </summary>
    [Fact]
    public void A_pool_read_back_while_a_tenants_only_jobs_run_reports_a_finite_share()
    {
        var pool = new PoolConfig
        {
            Id = "pool",
            Capacity = ResourceVector.Of(("workers", 2), ("gpus", 2)),
            Tenants = [new TenantShare(Id("a"))],
            HistoryBlend = 1.0,
        };
        var s = new FairShareScheduler(pool);
        s.Submit("a", Workers(1), now: T0);
        Assert.Single(s.Lease(ResourceVector.Of(("workers", 2), ("gpus", 2)), T0));

        var restored = FairShareScheduler.FromSnapshot(s.ToSnapshot());

        Assert.True(double.IsFinite(restored.GetTenantUsage(Id("a")).WeightedShare));
        Assert.Empty(restored.Lease(ResourceVector.Of(("workers", 1), ("gpus", 2)), T0.AddHours(1)));
        Assert.Equal((1 - Math.Pow(0.5, 1)) / 2, restored.GetTenantUsage(Id("a")).WeightedShare, 1e-9);
    }
}
