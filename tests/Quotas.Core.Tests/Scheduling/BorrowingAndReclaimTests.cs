using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class BorrowingAndReclaimTests
{
    /// <summary>A (guarantee 5 of 10) runs 4 priority-9 jobs, then 6 priority-0 jobs leased one a second: 5 borrowed.</summary>
    private static (FairShareScheduler S, List<JobLease> ALeases) ABorrowsTheIdleHalf()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 5), Guarantee("b", 5)));
        var leases = new List<JobLease>();
        for (var i = 0; i < 4; i++)
        {
            s.Submit("a", Workers(1), priority: 9);
        }

        leases.AddRange(s.Lease(Workers(4), T0, worker: "wa"));
        for (var i = 1; i <= 6; i++)
        {
            s.Submit("a", Workers(1), priority: 0, now: T0.AddSeconds(i));
            leases.AddRange(s.Lease(Workers(1), T0.AddSeconds(i), worker: "wa"));
        }

        return (s, leases);
    }

    /// <summary>A, guaranteed nothing, runs one-worker jobs on every worker of the pool; B is guaranteed some.</summary>
    private static (FairShareScheduler S, IReadOnlyList<JobLease> ALeases) AWithoutGuaranteeHoldsTheWholePool(int workers, long bGuarantee)
    {
        var s = new FairShareScheduler(WorkerPool(workers, Guarantee("b", bGuarantee)));
        for (var i = 0; i < workers; i++)
        {
            s.Submit("a", Workers(1));
        }

        var aLeases = s.Lease(Workers(workers), T0, worker: "wa");
        Assert.Equal(workers, aLeases.Count);
        return (s, aLeases);
    }

    private static HeartbeatResult Beat(FairShareScheduler s, IEnumerable<JobLease> leases, DateTimeOffset now) =>
        s.Heartbeat("wa", leases.Select(l => l.JobId), Ttl, now);

    /// <summary>
    /// Two tenants below their guarantee wait at once: the job marked for the first frees more than it wants, and the
    /// rest serves the second, so nothing more is marked. (The second had another borrowed job marked for it: 10
    /// workers stopped where 4 served both.)
    /// </summary>
    [Fact]
    public void What_a_mark_frees_beyond_one_tenants_want_serves_the_next_before_more_is_marked()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 2), Guarantee("b", 2)));
        s.Submit("c", Workers(4), priority: 0);
        s.Submit("c", Workers(6), priority: 5);
        var cLeases = s.Lease(Workers(10), T0, worker: "wa");
        Assert.Equal(2, cLeases.Count);
        s.Submit("a", Workers(2), now: T0.AddSeconds(1));
        s.Submit("b", Workers(2), now: T0.AddSeconds(1));

        var preempt = Beat(s, cLeases, T0.AddSeconds(2)).Preempt;

        var marked = Assert.Single(preempt);
        Assert.Equal(cLeases.Single(l => l.Priority == 0).JobId, marked); // the 4-worker job: lowest priority
    }

    /// <summary>
    /// A guaranteed tenant's queue may hold more than a long can sum (1,024 jobs of 2^53 each): reclaim still sees it
    /// waiting. The sum wrapped round to a negative figure before, and the tenant had nothing reclaimed for it.
    /// </summary>
    [Fact]
    public void A_queue_whose_demand_sums_past_a_long_still_has_capacity_reclaimed_for_it()
    {
        var memory = (string name, long amount) => ResourceVector.Of((name, amount));
        var s = new FairShareScheduler(new PoolConfig
        {
            Id = "pool",
            Capacity = memory("memory_mb", 1L << 60),
            Tenants = [new TenantShare(Id("b"), 1, memory("memory_mb", 1L << 55))],
        });
        for (var i = 0; i < 128; i++)
        {
            s.Submit("a", memory("memory_mb", 1L << 53)); // the largest demand a job may have
        }

        var aLeases = s.Lease(memory("memory_mb", 1L << 60), T0, worker: "wa");
        Assert.Equal(128, aLeases.Count);
        for (var i = 0; i < 1024; i++)
        {
            s.Submit("b", memory("memory_mb", 1L << 53), now: T0.AddSeconds(1));
        }

        Assert.Equal(4, Beat(s, aLeases, T0.AddSeconds(2)).Preempt.Count); // 2^55 guaranteed: four of 2^53
    }

    [Fact]
    public void Nothing_is_reclaimed_for_a_tenant_its_own_quotas_refuse_until_they_admit_it_again()
    {
        var bMayTry = false;
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 5), Guarantee("b", 5)), (tenant, _) => tenant != Id("b") || bMayTry);
        for (var i = 0; i < 10; i++)
        {
            s.Submit("a", Workers(1));
        }

        var aLeases = s.Lease(Workers(10), T0, worker: "wa");
        s.Submit("b", Workers(1), now: T0.AddSeconds(1));

        Assert.Empty(s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(1)).Preempt);

        bMayTry = true;
        Assert.Single(s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(2)).Preempt);
    }

    /// <summary>
    /// The other way: a mark made for a tenant whose quotas then refuse it is taken back at the next heartbeat, before
    /// any worker is told, though nothing in the pool changed meanwhile.
    /// </summary>
    [Fact]
    public void A_mark_no_worker_was_told_of_is_taken_back_once_the_tenant_it_was_made_for_is_refused_by_its_quotas()
    {
        var bMayTry = true;
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 5), Guarantee("b", 5)), (tenant, _) => tenant != Id("b") || bMayTry);
        for (var i = 0; i < 10; i++)
        {
            s.Submit("a", Workers(1));
        }

        var aLeases = s.Lease(Workers(10), T0, worker: "wa");
        s.Submit("b", Workers(1), now: T0.AddSeconds(1));
        Assert.Single(s.ListJobs(JobState.Leased, 100).Jobs, j => j.PreemptionRequested);

        bMayTry = false;
        Assert.Empty(s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(2)).Preempt);
        Assert.DoesNotContain(s.ListJobs(JobState.Leased, 100).Jobs, j => j.PreemptionRequested);
    }

    [Fact]
    public void A_guarantee_of_one_resource_is_reclaimed_for_jobs_that_also_use_another()
    {
        var cpuAndMemory = new PoolConfig
        {
            Id = "pool",
            Capacity = ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)),
            Tenants = [new TenantShare(Id("a")), new TenantShare(Id("b"), 1, ResourceVector.Of(("cpu_millicores", 2000)))],
        };
        var s = new FairShareScheduler(cpuAndMemory);
        var job = ResourceVector.Of(("cpu_millicores", 1000), ("memory_mb", 512));
        for (var i = 0; i < 4; i++)
        {
            s.Submit("a", job, priority: i);
        }

        var aLeases = s.Lease(ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)), worker: "wa");
        Assert.Equal(4, aLeases.Count);

        s.Submit("b", job);
        var preempt = s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(1)).Preempt;

        // One CPU job's worth for b's one job (memory is free), taken from a's lowest priority.
        Assert.Equal([aLeases.Single(l => l.Priority == 0).JobId], preempt);
    }

    [Fact]
    public void A_borrows_idle_capacity_beyond_its_guarantee()
    {
        var (s, leases) = ABorrowsTheIdleHalf();

        Assert.Equal(10, leases.Count);
        Assert.Equal(10, s.GetTenantUsage(Id("a")).Allocated["workers"]);
        Assert.Empty(Beat(s, leases, T0.AddSeconds(7)).Preempt);
    }

    [Fact]
    public void B_arriving_marks_as_many_of_As_borrowed_jobs_as_B_needs_lowest_priority_youngest_first_and_no_further()
    {
        var (s, leases) = ABorrowsTheIdleHalf();
        var now = T0.AddSeconds(10);
        for (var i = 0; i < 3; i++)
        {
            s.Submit("b", Workers(1), now: now);
        }

        var preempt = Beat(s, leases, now).Preempt;

        // The three youngest priority-0 jobs (leased at +6, +5, +4).
        Assert.Equal(leases.Skip(7).Select(l => l.JobId), preempt.OrderBy(id => id.Value));

        for (var i = 0; i < 20; i++)
        {
            s.Submit("b", Workers(1), now: now);
        }

        preempt = Beat(s, leases, now).Preempt;

        // B's guarantee is 5: two more, never the priority-9 jobs, and A is left exactly at its guarantee.
        Assert.Equal(5, preempt.Count);
        Assert.DoesNotContain(preempt, id => leases.Take(4).Any(l => l.JobId == id));
        Assert.Equal(5, Beat(s, leases, now.AddSeconds(1)).Preempt.Count);
    }

    [Fact]
    public void Reclaim_takes_what_Bs_jobs_that_fit_its_guarantee_in_order_need_not_the_whole_guarantee()
    {
        var (s, aLeases) = AWithoutGuaranteeHoldsTheWholePool(10, bGuarantee: 5);
        // B's first job fits its guarantee of 5; the second (3 + 3 > 5) would borrow, which reclaim never frees for.
        s.Submit("b", Workers(3), now: T0.AddSeconds(1));
        s.Submit("b", Workers(3), now: T0.AddSeconds(1));
        var preempt = s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(1)).Preempt;

        Assert.Equal(3, preempt.Count);

        // A job behind the one that does not fit waits its turn: still 3, though 2 would fit in what is left.
        s.Submit("b", Workers(2), priority: -1, now: T0.AddSeconds(1));
        Assert.Equal(3, s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(2)).Preempt.Count);

        // Once B's first job runs, its second is its head, and the 2 behind it still cannot pass it: nothing more.
        foreach (var id in preempt)
        {
            s.Complete(id, JobOutcome.Preempted, null, T0.AddSeconds(3), "wa");
        }

        var bLeases = s.Lease(Workers(3), T0.AddSeconds(3), worker: "wb");
        Assert.Equal([3L], bLeases.Select(l => l.Demand.AmountAt(0)));
        Assert.Empty(s.Heartbeat("wa", aLeases.Select(l => l.JobId).Except(preempt), Ttl, T0.AddSeconds(4)).Preempt);
    }

    [Fact]
    public void Reclaim_sums_every_job_that_fits_the_guarantee_in_order()
    {
        var (s, aLeases) = AWithoutGuaranteeHoldsTheWholePool(10, bGuarantee: 5);

        // 3 then 2 fill the guarantee exactly; the 1 after them would borrow.
        s.Submit("b", Workers(3), priority: 2, now: T0.AddSeconds(1));
        s.Submit("b", Workers(2), priority: 1, now: T0.AddSeconds(1));
        s.Submit("b", Workers(1), priority: 0, now: T0.AddSeconds(1));

        Assert.Equal(5, s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(1)).Preempt.Count);
    }

    [Fact]
    public void Reclaim_stops_at_a_job_that_a_full_guaranteed_resource_keeps_out()
    {
        var pool = new PoolConfig
        {
            Id = "pool",
            Capacity = ResourceVector.Of(("cpu_millicores", 10), ("gpus", 1)),
            Tenants = [new TenantShare(Id("b"), 1, ResourceVector.Of(("cpu_millicores", 5), ("gpus", 1)))],
        };
        var s = new FairShareScheduler(pool);
        s.Submit("b", ResourceVector.Of(("gpus", 1)));
        Assert.Single(s.Lease(ResourceVector.Of(("gpus", 1)), worker: "wb"));
        for (var i = 0; i < 10; i++)
        {
            s.Submit("a", ResourceVector.Of(("cpu_millicores", 1)));
        }

        var aLeases = s.Lease(ResourceVector.Of(("cpu_millicores", 10)), worker: "wa");

        // B's GPU guarantee is in use: its job of 3 CPUs fits, the next (2 CPUs and a GPU) does not.
        s.Submit("b", ResourceVector.Of(("cpu_millicores", 3)), priority: 1, now: T0.AddSeconds(1));
        s.Submit("b", ResourceVector.Of(("cpu_millicores", 2), ("gpus", 1)), now: T0.AddSeconds(1));

        Assert.Equal(3, s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(1)).Preempt.Count);
    }

    /// <summary>The job of 8 has priority 4 (first in B's queue) or 2 (between the 3 and the 2).</summary>
    [Theory]
    [InlineData(4)]
    [InlineData(2)]
    public void Reclaim_passes_a_queued_job_its_tenant_can_no_longer_hold_as_dispatch_does(int unholdablePriority)
    {
        var (s, aLeases) = AWithoutGuaranteeHoldsTheWholePool(10, bGuarantee: 5);
        s.Submit("b", Workers(3), priority: 3, now: T0.AddSeconds(1));
        s.Submit("b", Workers(8), priority: unholdablePriority, now: T0.AddSeconds(1));
        s.Submit("b", Workers(2), priority: 1, now: T0.AddSeconds(1));

        // B may no longer borrow: its job of 8 can never run, and dispatch will set it aside (no lease has yet: the pool
        // is full); the 3 and the 2 fit B's guarantee.
        s.SetTenant(new TenantShare(Id("b"), 1, Workers(5), BorrowingLimit: Workers(0)), T0.AddSeconds(2));

        Assert.Equal(5, s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(2)).Preempt.Count);
    }

    /// <summary>
    /// The same on a resource the guarantee does not name: after a capacity change, A's second job needs more memory
    /// than the pool has, and only the first (2 CPU) can run, so 2 of B's borrowed CPUs are reclaimed, not the 4 A's
    /// guarantee misses. All of A's queued CPU (4) used to count, as its queue held no more CPU than the guarantee missed.
    /// </summary>
    [Fact]
    public void Reclaim_passes_a_queued_job_that_needs_more_of_an_unguaranteed_resource_than_the_pool_has()
    {
        var s = new FairShareScheduler(new PoolConfig
        {
            Id = "pool",
            Capacity = ResourceVector.Of(("cpu", 10), ("memory", 100)),
            Tenants = [new TenantShare(Id("a"), 1, ResourceVector.Of(("cpu", 4)))],
        });
        var small = ResourceVector.Of(("cpu", 1), ("memory", 1));
        for (var i = 0; i < 10; i++)
        {
            s.Submit("b", small);
        }

        var bLeases = s.Lease(ResourceVector.Of(("cpu", 10), ("memory", 10)), T0, worker: "wb");
        s.Submit("a", ResourceVector.Of(("cpu", 2), ("memory", 10)), priority: 1, now: T0.AddSeconds(1));
        s.Submit("a", ResourceVector.Of(("cpu", 2), ("memory", 90)), priority: 0, now: T0.AddSeconds(1));
        s.UpdateCapacity(ResourceVector.Of(("cpu", 10), ("memory", 50)), T0.AddSeconds(1));

        var preempt = s.Heartbeat("wb", bLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(2)).Preempt;

        Assert.Equal(10, bLeases.Count);
        Assert.Equal(2, preempt.Count);
    }

    [Fact]
    public void A_queue_of_many_small_jobs_has_its_whole_guarantee_reclaimed()
    {
        var (s, aLeases) = AWithoutGuaranteeHoldsTheWholePool(400, bGuarantee: 300);
        for (var i = 0; i < 350; i++)
        {
            s.Submit("b", Workers(1), now: T0.AddSeconds(1));
        }

        Assert.Equal(300, s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(1)).Preempt.Count);
    }

    [Fact]
    public void A_worker_that_does_not_stop_a_preempted_job_loses_it_when_the_lease_it_was_told_with_runs_out()
    {
        var (s, leases) = ABorrowsTheIdleHalf();
        var now = T0.AddSeconds(10);
        for (var i = 0; i < 2; i++)
        {
            s.Submit("b", Workers(1), now: now);
        }

        var told = Beat(s, leases, now);
        Assert.Equal(2, told.Preempt.Count);
        Assert.Equal(10, told.Renewed.Count); // extended once more, to stop the jobs in

        var ignored = Beat(s, leases, now.AddSeconds(20));
        Assert.Equal(told.Preempt.OrderBy(id => id.Value), ignored.Preempt.OrderBy(id => id.Value));
        Assert.Equal(8, ignored.Renewed.Count);
        Assert.DoesNotContain(ignored.Renewed, told.Preempt.Contains);

        var expired = s.ExpireLeases(now + Ttl);
        Assert.Equal(told.Preempt.OrderBy(id => id.Value), expired.Select(l => l.JobId));
        Assert.All(told.Preempt, id => Assert.Equal(0, s.Get(id)!.Expiries)); // ended by preemption: no lost attempt
        Assert.Equal(2, s.Lease(Workers(10), now + Ttl, worker: "wb").CountFor("b"));

        // A tenant's refusal that comes back for another lease of the job than the one running marks nothing.
        Assert.False(s.PreemptForTenantQuota("wa", leases[0].JobId, leases[0].Attempt + 1));
    }

    [Fact]
    public void Preempted_jobs_requeue_and_B_gets_exactly_its_guarantee()
    {
        var (s, leases) = ABorrowsTheIdleHalf();
        var now = T0.AddSeconds(10);
        for (var i = 0; i < 8; i++)
        {
            s.Submit("b", Workers(1), now: now);
        }

        var preempt = Beat(s, leases, now).Preempt;
        Assert.Empty(s.Lease(Workers(10), now, worker: "wb"));
        foreach (var id in preempt)
        {
            Assert.Equal(CompletionStatus.Requeued, s.Complete(id, JobOutcome.Preempted, null, now).Status);
        }

        var bLeases = s.Lease(Workers(10), now, worker: "wb");

        Assert.Equal(5, bLeases.CountFor("b"));
        Assert.Equal(5, s.GetTenantUsage(Id("a")).Allocated["workers"]);
        Assert.Equal(5, s.GetTenantUsage(Id("a")).QueuedJobs);
        Assert.Empty(Beat(s, leases, now).Preempt);
    }

    [Fact]
    public void Tenant_within_its_guarantee_is_never_preempted()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 5), Guarantee("b", 5)));
        for (var i = 0; i < 5; i++)
        {
            s.Submit("a", Workers(1));
            s.Submit("b", Workers(1));
        }

        var leases = s.Lease(Workers(10));
        s.Submit("b", Workers(1));

        Assert.Empty(s.Heartbeat("w1", leases.Select(l => l.JobId), Ttl, T0).Preempt);
    }

    [Fact]
    public void Nothing_is_reclaimed_for_a_job_set_aside_that_its_tenant_can_no_longer_hold()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 5), new TenantShare(Id("b"), 1, Workers(5), Workers(5))));
        for (var i = 0; i < 9; i++)
        {
            s.Submit("a", Workers(1));
        }

        var aLeases = s.Lease(Workers(9), T0, worker: "wa");
        var big = s.Submit("b", Workers(8), now: T0.AddSeconds(1));

        // B's borrowing limit goes: its 8-worker job can never run now, and the next lease sets it aside.
        s.SetTenant(new TenantShare(Id("b"), 1, Workers(5), Workers(0)), T0.AddSeconds(2));
        Assert.Empty(s.Lease(Workers(1), T0.AddSeconds(2)));
        Assert.Equal(JobState.Queued, s.Get(big.Id)!.State);

        // Two one-worker jobs of B's, one free worker: one of A's four borrowed jobs is reclaimed, not four.
        s.Submit("b", Workers(1), now: T0.AddSeconds(3));
        s.Submit("b", Workers(1), now: T0.AddSeconds(3));
        Assert.Single(s.Heartbeat("wa", aLeases.Select(l => l.JobId), Ttl, T0.AddSeconds(3)).Preempt);
    }

    [Fact]
    public void Borrowing_limit_caps_what_a_tenant_takes_from_an_idle_pool()
    {
        var s = new FairShareScheduler(WorkerPool(10, new TenantShare(Id("a"), 1, Workers(5), Workers(2))));
        for (var i = 0; i < 10; i++)
        {
            s.Submit("a", Workers(1));
        }

        Assert.Equal(7, s.Lease(Workers(10)).Count);
    }

    [Fact]
    public void Shrinking_capacity_marks_borrowed_jobs_at_once_and_growing_it_admits_waiting_jobs()
    {
        var s = new FairShareScheduler(WorkerPool(10));
        for (var i = 0; i < 12; i++)
        {
            s.Submit("a", Workers(1));
        }

        var leases = s.Lease(Workers(10));
        s.UpdateCapacity(Workers(6), T0);
        Assert.Equal(4, s.Heartbeat("w1", leases.Select(l => l.JobId), Ttl, T0).Preempt.Count);

        s.UpdateCapacity(Workers(14), T0);
        Assert.Equal(2, s.Lease(Workers(10)).Count);
    }

    /// <summary>A (no guarantee) runs <paramref name="jobs"/> one-worker jobs that fill a pool of that size.</summary>
    private static (FairShareScheduler S, List<JobLease> ALeases) AFillsThePool(int jobs, params TenantShare[] tenants)
    {
        var s = new FairShareScheduler(WorkerPool(jobs, tenants));
        for (var i = 0; i < jobs; i++)
        {
            s.Submit("a", Workers(1), now: T0.AddSeconds(i));
        }

        return (s, [.. s.Lease(Workers(jobs), T0, worker: "wa")]);
    }

    [Fact]
    public void Capacity_shrunk_and_restored_before_any_heartbeat_preempts_nothing()
    {
        var (s, leases) = AFillsThePool(4);
        s.UpdateCapacity(Workers(2), T0);
        s.UpdateCapacity(Workers(4), T0);

        Assert.Empty(Beat(s, leases, T0).Preempt);
        Assert.All(leases, l => Assert.False(s.Get(l.JobId)!.PreemptionRequested));
    }

    [Fact]
    public void Marks_not_yet_delivered_follow_changed_guarantees_and_never_take_a_tenant_below_its_own()
    {
        var (s, leases) = AFillsThePool(5, Guarantee("b", 2));
        s.Submit("b", Workers(1));
        s.Submit("b", Workers(1));
        s.SetTenant(Guarantee("b", 1), T0);
        s.SetTenant(Guarantee("a", 4), T0);

        // B now needs one worker, and A may give exactly one before it reaches its guarantee of 4.
        var preempt = Beat(s, leases, T0).Preempt;
        Assert.Single(preempt);
        Assert.Equal(1, leases.Count(l => s.Get(l.JobId)!.PreemptionRequested));
    }

    [Fact]
    public void A_delivered_mark_stays_after_its_reason_is_gone()
    {
        var (s, leases) = AFillsThePool(4);
        s.UpdateCapacity(Workers(2), T0);
        var told = Beat(s, leases, T0).Preempt;
        Assert.Equal(2, told.Count);

        // The worker may already be stopping these jobs: taking the marks back could not undo that.
        s.UpdateCapacity(Workers(4), T0);

        Assert.Equal(told, Beat(s, leases, T0.AddSeconds(1)).Preempt);
    }

    [Fact]
    public void Marks_taken_back_count_no_more_and_later_marks_keep_the_guarantee()
    {
        var (s, leases) = AFillsThePool(5, Guarantee("a", 2));
        s.UpdateCapacity(Workers(3), T0);
        s.UpdateCapacity(Workers(5), T0);

        // Nothing is still counted as on its way back: a shrink to 4 marks exactly one job.
        s.UpdateCapacity(Workers(4), T0);
        Assert.Single(Beat(s, leases, T0).Preempt);

        // A shrink to 2 marks two more, which leaves A exactly at its guarantee of 2.
        s.UpdateCapacity(Workers(2), T0);
        Assert.Equal(3, Beat(s, leases, T0).Preempt.Count);
        Assert.Equal(3, leases.Count(l => s.Get(l.JobId)!.PreemptionRequested));
    }

    [Fact]
    public void A_job_ending_before_the_worker_was_told_makes_the_mark_unneeded()
    {
        var (s, leases) = AFillsThePool(4);
        s.UpdateCapacity(Workers(3), T0);
        Assert.Single(leases, l => s.Get(l.JobId)!.PreemptionRequested);

        s.Complete(leases[0].JobId, true, null, T0.AddSeconds(5));

        Assert.Empty(Beat(s, leases.Skip(1), T0.AddSeconds(5)).Preempt);
    }

    [Fact]
    public void Quota_hook_refusal_passes_the_tenant_over()
    {
        var s = new FairShareScheduler(WorkerPool(10), (tenant, _) => tenant.Value != "capped");
        s.Submit("capped", Workers(1));
        s.Submit("free", Workers(1));

        var lease = Assert.Single(s.Lease(Workers(10)));

        Assert.Equal("free", lease.Tenant.Value);
        Assert.Equal(1, s.GetTenantUsage(Id("capped")).QueuedJobs);
    }

    [Fact]
    public void Reserve_is_kept_from_borrowers_but_open_to_guaranteed_use()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("g", 3)) with { Reserve = Workers(3) });
        for (var i = 0; i < 10; i++)
        {
            s.Submit("other", Workers(1));
        }

        Assert.Equal(7, s.Lease(Workers(10)).Count);
        for (var i = 0; i < 5; i++)
        {
            s.Submit("g", Workers(1));
        }

        Assert.Equal(3, s.Lease(Workers(10)).CountFor("g"));
    }

    [Fact]
    public void Capacity_freed_for_a_tenant_below_its_guarantee_goes_to_it_not_to_a_tenant_without_one()
    {
        var s = new FairShareScheduler(WorkerPool(4, Guarantee("a", 2)));
        s.Submit("a", Workers(1));
        Assert.Single(s.Lease(Workers(1), T0, worker: "wa"));
        for (var i = 0; i < 3; i++)
        {
            s.Submit("b", Workers(1));
        }

        var bLeases = s.Lease(Workers(3), T0, worker: "wb");
        s.Submit("c", Workers(1));
        var now = T0.AddSeconds(1);
        s.Submit("a", Workers(1), now: now);
        var preempted = Assert.Single(s.Heartbeat("wb", bLeases.Select(l => l.JobId), Ttl, now).Preempt);
        s.Complete(preempted, JobOutcome.Preempted, null, now);

        // c has the lowest share, but the freed worker is held for a, still one below its guarantee.
        Assert.Equal("a", Assert.Single(s.Lease(Workers(4), now, worker: "w2")).Tenant.Value);
    }

    [Fact]
    public void Borrowers_never_take_the_reserve_nor_what_a_guaranteed_tenant_waits_for()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 4)) with { Reserve = Workers(2) });
        for (var i = 0; i < 4; i++)
        {
            s.Submit("a", Workers(1));
        }

        for (var i = 0; i < 10; i++)
        {
            s.Submit("b", Workers(1));
        }

        var leases = s.Lease(Workers(10));

        Assert.Equal(4, leases.CountFor("a"));
        Assert.Equal(4, leases.CountFor("b"));
    }

    [Fact]
    public void Removing_a_guarantee_stops_holding_capacity_for_the_tenant_and_keeps_the_reserve()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 4)) with { Reserve = Workers(2) });
        for (var i = 0; i < 4; i++)
        {
            s.Submit("a", Workers(1));
        }

        s.SetTenant(new TenantShare(Id("a")), T0);
        for (var i = 0; i < 10; i++)
        {
            s.Submit("b", Workers(1));
        }

        // Both now borrow: together they take all but the reserve, nothing held back for a.
        Assert.Equal(8, s.Lease(Workers(10)).Count);
    }
}
