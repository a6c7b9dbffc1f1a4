using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

/// <summary>
/// A job first in the fair order that no free capacity fits is not starved by smaller jobs that keep taking what frees:
/// after <see cref="PoolConfig.HoldCapacityAfter"/> the pool holds what frees for it.
/// </summary>
public sealed class CapacityHoldTests
{
    /// <summary>a fills all 10 workers with one-worker jobs and has more queued; b asks for 8 at <see cref="SchedulingKit.T0"/>.</summary>
    private static (FairShareScheduler S, List<JobLease> ALeases, JobInfo Big) AFillsThePoolAndBWantsEight(PoolConfig config)
    {
        var s = new FairShareScheduler(config);
        for (var i = 0; i < 20; i++)
        {
            s.Submit("a", Workers(1));
        }

        var aLeases = s.Lease(Workers(10), T0, worker: "wa").ToList();
        return (s, aLeases, s.Submit("b", Workers(8), now: T0));
    }

    private static PoolConfig Pool(TimeSpan holdAfter, TenantShare? b = null) =>
        WorkerPool(10, new TenantShare(Id("a")), b ?? new TenantShare(Id("b"))) with { HoldCapacityAfter = holdAfter };

    [Fact]
    public void A_large_job_passed_over_for_longer_than_the_hold_time_gets_the_capacity_that_frees_after()
    {
        var (s, aLeases, big) = AFillsThePoolAndBWantsEight(Pool(TimeSpan.FromSeconds(60)));

        // Within the hold time what frees goes to a's jobs that fit, though b is first in the fair order.
        s.Complete(aLeases[0].JobId, true, null, T0.AddSeconds(1));
        Assert.Equal(Id("a"), Assert.Single(s.Lease(Workers(10), T0.AddSeconds(1))).Tenant);

        // Passed over for 60 s: what frees from now on is held for b's job, until all 8 are free.
        s.Complete(aLeases[1].JobId, true, null, T0.AddSeconds(61));
        Assert.Empty(s.Lease(Workers(10), T0.AddSeconds(61)));
        for (var i = 2; i < 9; i++)
        {
            s.Complete(aLeases[i].JobId, true, null, T0.AddSeconds(62));
        }

        Assert.Equal(big.Id, Assert.Single(s.Lease(Workers(10), T0.AddSeconds(62))).JobId);

        // Once it runs, nothing is held: a takes what frees again.
        s.Complete(aLeases[9].JobId, true, null, T0.AddSeconds(63));
        Assert.Equal(Id("a"), Assert.Single(s.Lease(Workers(10), T0.AddSeconds(63))).Tenant);
    }

    /// <summary>
    /// The pool has room for the large job, but spread over two workers, neither with enough: the first worker large
    /// enough to call keeps what frees on it for the job, rather than take small jobs of another tenant, until the job
    /// fits there; the other goes on taking small jobs, as a pool-wide hold holds the job's demand once. (The pool-wide
    /// room read as "not blocked", so nothing was held, and small jobs took each worker's room for ever.)
    /// </summary>
    [Fact]
    public void A_job_that_fits_the_pool_but_no_one_worker_has_the_room_it_needs_held_on_one_worker_large_enough()
    {
        var s = new FairShareScheduler(WorkerPool(8) with { HoldCapacityAfter = TimeSpan.Zero });
        for (var i = 0; i < 20; i++)
        {
            s.Submit("b", Workers(1));
        }

        var onW1 = s.Lease(Workers(2), T0, worker: "w1"); // two of w1's four workers
        s.Lease(Workers(2), T0, worker: "w2");
        var big = s.Submit("a", Workers(4), now: T0.AddSeconds(1));

        // Four free in the pool, two on each worker: w1 keeps its two for a's job; w2 takes b's jobs.
        Assert.Empty(s.Lease(Workers(2), T0.AddSeconds(2), worker: "w1"));
        Assert.Equal(2, s.Lease(Workers(2), T0.AddSeconds(2), worker: "w2").CountFor("b"));

        // With two free in the pool, the job is short of the pool's room too: no worker borrows any of it.
        Assert.Empty(s.Lease(Workers(1), T0.AddSeconds(3), worker: "small"));

        foreach (var lease in onW1)
        {
            s.Complete(lease.JobId, true, null, T0.AddSeconds(4));
        }

        Assert.Equal(big.Id, Assert.Single(s.Lease(Workers(4), T0.AddSeconds(4), worker: "w1")).JobId);
    }

    /// <summary>A worker that holds its room for a job and stops asking for jobs passes the hold on after a minute.</summary>
    [Fact]
    public void A_worker_that_holds_its_room_and_stops_calling_passes_the_hold_on_after_a_minute()
    {
        var s = new FairShareScheduler(WorkerPool(12) with { HoldCapacityAfter = TimeSpan.Zero }); // room in the pool throughout
        for (var i = 0; i < 20; i++)
        {
            s.Submit("b", Workers(1));
        }

        s.Lease(Workers(2), T0, worker: "w1");
        s.Lease(Workers(2), T0, worker: "w2");
        s.Submit("a", Workers(4), now: T0.AddSeconds(1));
        Assert.Empty(s.Lease(Workers(2), T0.AddSeconds(2), worker: "w1"));

        Assert.Equal(1, s.Lease(Workers(1), T0.AddSeconds(61), worker: "w2").CountFor("b")); // w1 was seen 59 s ago
        Assert.Empty(s.Lease(Workers(1), T0.AddSeconds(62), worker: "w2"));                  // 60 s: w2 holds now
    }

    [Fact]
    public void A_hold_time_of_zero_keeps_the_fair_order_strict()
    {
        var (s, aLeases, _) = AFillsThePoolAndBWantsEight(Pool(TimeSpan.Zero));

        s.Complete(aLeases[0].JobId, true, null, T0.AddSeconds(1));

        Assert.Empty(s.Lease(Workers(10), T0.AddSeconds(1)));
    }

    [Fact]
    public void Nothing_is_held_for_a_job_its_tenants_borrowing_limit_keeps_out()
    {
        // b may hold 9 at most and already runs 2: its 8-worker job waits for b's own jobs, not for free capacity.
        var (s, aLeases, _) = AFillsThePoolAndBWantsEight(Pool(TimeSpan.Zero, new TenantShare(Id("b"), 1, BorrowingLimit: Workers(9))));
        s.Complete(aLeases[0].JobId, true, null, T0);
        s.Complete(aLeases[1].JobId, true, null, T0);
        var bSmall = s.Submit("b", Workers(2), priority: 9, now: T0);
        Assert.Equal(bSmall.Id, Assert.Single(s.Lease(Workers(10), T0)).JobId);

        s.Complete(aLeases[2].JobId, true, null, T0.AddSeconds(600));

        Assert.Equal(Id("a"), Assert.Single(s.Lease(Workers(10), T0.AddSeconds(600))).Tenant);
    }

    [Fact]
    public void A_tenant_within_its_guarantee_takes_its_own_whatever_is_held_for_a_borrower()
    {
        var s = new FairShareScheduler(new PoolConfig
        {
            Id = "pool",
            Capacity = Workers(100),
            Tenants = [new TenantShare(Id("a")), new TenantShare(Id("b")), new TenantShare(Id("g"), 1, Workers(50))],
            HoldCapacityAfter = TimeSpan.Zero,
        });
        for (var i = 0; i < 10; i++)
        {
            s.Submit("g", Workers(1));
        }

        for (var i = 0; i < 90; i++)
        {
            s.Submit("a", Workers(1));
        }

        var running = s.Lease(Workers(100), T0, worker: "w");
        Assert.Equal(100, running.Count);
        s.Submit("b", Workers(60), now: T0.AddSeconds(1));
        var guaranteed = s.Submit("g", Workers(40), now: T0.AddSeconds(1));

        // Reclaim takes 40 of a's borrowed jobs back for g; b, first in the fair order, is held for with 100 free.
        foreach (var id in s.Heartbeat("w", running.Select(l => l.JobId), Ttl, T0.AddSeconds(2)).Preempt)
        {
            s.Complete(id, JobOutcome.Preempted, null, T0.AddSeconds(2));
        }

        Assert.Equal(guaranteed.Id, Assert.Single(s.Lease(Workers(100), T0.AddSeconds(3), worker: "w2")).JobId);
    }

    [Fact]
    public void What_is_held_for_a_borrowing_job_includes_the_reserve_it_may_not_take()
    {
        // a borrows all but the reserve of 2; b's 8 borrow too, so b needs all 10 free.
        var s = new FairShareScheduler(WorkerPool(10, new TenantShare(Id("a")), new TenantShare(Id("b"))) with { Reserve = Workers(2), HoldCapacityAfter = TimeSpan.Zero });
        for (var i = 0; i < 20; i++)
        {
            s.Submit("a", Workers(1));
        }

        var aLeases = s.Lease(Workers(10), T0, worker: "wa");
        Assert.Equal(8, aLeases.Count);
        var big = s.Submit("b", Workers(8), now: T0);

        for (var i = 0; i < 7; i++)
        {
            s.Complete(aLeases[i].JobId, true, null, T0.AddSeconds(1));
            Assert.Empty(s.Lease(Workers(10), T0.AddSeconds(1)));
        }

        s.Complete(aLeases[7].JobId, true, null, T0.AddSeconds(2));
        Assert.Equal(big.Id, Assert.Single(s.Lease(Workers(10), T0.AddSeconds(2))).JobId);
    }

    [Fact]
    public void The_wait_starts_afresh_for_each_job()
    {
        var (s, aLeases, big) = AFillsThePoolAndBWantsEight(Pool(TimeSpan.FromSeconds(60)));
        s.Complete(aLeases[0].JobId, true, null, T0.AddSeconds(1));
        Assert.Equal(Id("a"), Assert.Single(s.Lease(Workers(10), T0.AddSeconds(1))).Tenant); // b's first job starts waiting
        s.Cancel(big.Id, T0.AddSeconds(10));

        s.Submit("b", Workers(8), now: T0.AddSeconds(100));
        s.Complete(aLeases[1].JobId, true, null, T0.AddSeconds(100));

        // b's new job has waited no time: what frees still goes to a job that fits.
        Assert.Equal(Id("a"), Assert.Single(s.Lease(Workers(10), T0.AddSeconds(100))).Tenant);
    }

    [Fact]
    public void Nothing_is_held_for_a_job_larger_than_any_worker_has_offered_room_for()
    {
        var (s, aLeases) = FourWorkersOf25BusyWithA();

        s.Submit("b", Workers(30), now: T0);
        s.Complete(aLeases[0].JobId, true, null, T0.AddSeconds(1));

        Assert.Equal(Id("a"), Assert.Single(s.Lease(Workers(1), T0.AddSeconds(1), worker: "w0")).Tenant);
    }

    [Fact]
    public void A_busy_worker_counts_as_large_as_what_it_offers_plus_what_it_runs()
    {
        var (s, aLeases) = FourWorkersOf25BusyWithA();

        // Read back (as a pool activated again), while every worker is busy and offers at most one free.
        var restored = FairShareScheduler.FromSnapshot(s.ToSnapshot());
        restored.Submit("b", Workers(20), now: T0);
        restored.Complete(aLeases[0].JobId, true, null, T0.AddSeconds(1));

        // w0 runs 24 and offers 1: a worker of 25, which b's 20 fit, so what frees is held for b.
        Assert.Empty(restored.Lease(Workers(1), T0.AddSeconds(1), worker: "w0"));
    }

    /// <summary>A pool of 100 run by four workers of 25, all busy with a's one-unit jobs (a has 20 more queued).</summary>
    private static (FairShareScheduler S, List<JobLease> ALeases) FourWorkersOf25BusyWithA()
    {
        var s = new FairShareScheduler(WorkerPool(100, new TenantShare(Id("a")), new TenantShare(Id("b"))) with { HoldCapacityAfter = TimeSpan.Zero });
        for (var i = 0; i < 120; i++)
        {
            s.Submit("a", Workers(1));
        }

        var aLeases = new List<JobLease>();
        for (var worker = 0; worker < 4; worker++)
        {
            aLeases.AddRange(s.Lease(Workers(25), T0, worker: $"w{worker}"));
        }

        return (s, aLeases);
    }
}
