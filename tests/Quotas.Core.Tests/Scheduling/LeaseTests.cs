using System.Text.Json;
using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class LeaseTests
{
    /// <summary>
    /// Worker ids leasing jobs are host or pod names: no control characters, markup or kilobytes, which would be kept on
    /// every job, shown to tenants and logged. A heartbeat still takes any id (a worker that leased under an earlier
    /// release's looser rule renews its jobs through an upgrade).
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("a\nb")]
    [InlineData("<script>")]
    [InlineData("worker 1")]
    [InlineData("\u00e9t\u00e9")]
    public void A_worker_id_that_is_no_host_or_pod_name_is_refused(string workerId)
    {
        var s = new FairShareScheduler(WorkerPool(4));
        s.Submit("t", Workers(1));

        var lease = Assert.Throws<SchedulingException>(() => s.LeaseJobs(workerId, Workers(4), Ttl, T0));

        Assert.Equal(SchedulingErrorCodes.InvalidArgument, lease.Code);
        Assert.Contains(workerId.Length == 0 ? "empty" : "1 to 253 characters", lease.Message);
        if (workerId.Length > 0)
        {
            Assert.Empty(s.Heartbeat(workerId, [], Ttl, T0).Renewed);
        }

        Assert.Single(s.LeaseJobs("worker-7.pool_a:9000", Workers(4), Ttl, T0));
        Assert.Throws<SchedulingException>(() => s.LeaseJobs(new string('w', 254), Workers(4), Ttl, T0));
    }

    [Fact]
    public void A_pool_read_back_gives_each_running_job_a_whole_lease_from_then_as_its_last_grant_or_heartbeat_gave()
    {
        var s = new FairShareScheduler(WorkerPool(3));
        var renewed = s.Submit("t", Workers(1));
        var leased = s.Submit("t", Workers(1));
        var fresh = s.Submit("t", Workers(1));
        s.Lease(Workers(2), T0);
        s.Heartbeat("w1", [renewed.Id], TimeSpan.FromSeconds(10), T0.AddSeconds(5));
        s.Lease(Workers(1), T0.AddSeconds(50));
        var stored = s.ToSnapshot();

        var restored = FairShareScheduler.FromSnapshot(stored);
        Assert.Equal(3, restored.ResumeLeases(T0.AddSeconds(60)));
        Assert.Equal(T0.AddSeconds(70), restored.Get(renewed.Id)!.LeaseExpiresAt); // heartbeat of 10 s
        Assert.Equal(T0.AddSeconds(90), restored.Get(leased.Id)!.LeaseExpiresAt);  // grant of 30 s
        Assert.Equal(T0.AddSeconds(90), restored.Get(fresh.Id)!.LeaseExpiresAt);   // granted 10 s before: 30 s from then
        Assert.Empty(restored.ExpireLeases(T0.AddSeconds(69)));

        // Renewed as of then: stored again and read back later, a whole lease is still the worker's, not the outage's.
        Assert.Equal(T0.AddSeconds(60), restored.Get(renewed.Id)!.LeaseRenewedAt);
        var again = FairShareScheduler.FromSnapshot(restored.ToSnapshot());
        again.ResumeLeases(T0.AddSeconds(65));
        Assert.Equal(T0.AddSeconds(75), again.Get(renewed.Id)!.LeaseExpiresAt);

        // A job stored by a release that kept no renewal time keeps the lease it had.
        var older = FairShareScheduler.FromSnapshot(stored with { Jobs = [.. stored.Jobs.Select(j => j with { LeaseRenewedAt = null })] });
        Assert.Equal(0, older.ResumeLeases(T0.AddSeconds(60)));
        Assert.Equal(T0.AddSeconds(15), older.Get(renewed.Id)!.LeaseExpiresAt);
    }

    [Fact]
    public void A_job_whose_worker_was_told_to_stop_it_gets_no_lease_more_when_its_pool_is_read_back()
    {
        var s = new FairShareScheduler(WorkerPool(2, Guarantee("a", 2)));
        var borrowed = s.Submit("b", Workers(2));
        s.Lease(Workers(2), T0, worker: "wb");
        s.Submit("a", Workers(2), now: T0.AddSeconds(1));
        Assert.Equal([borrowed.Id], s.Heartbeat("wb", [borrowed.Id], Ttl, T0.AddSeconds(2)).Preempt); // told, with 30 s to stop

        var restored = FairShareScheduler.FromSnapshot(s.ToSnapshot());
        Assert.Equal(0, restored.ResumeLeases(T0.AddSeconds(60)));
        Assert.Equal(T0.AddSeconds(32), restored.Get(borrowed.Id)!.LeaseExpiresAt);
    }

    [Fact]
    public void Expired_lease_requeues_the_job_and_heartbeat_keeps_it()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        var lease = Assert.Single(s.Lease(Workers(1), T0, worker: "old"));

        Assert.Empty(s.ExpireLeases(T0.AddSeconds(29)));
        Assert.Equal([job.Id], s.Heartbeat("old", [job.Id], Ttl, T0.AddSeconds(20)).Renewed);
        Assert.Empty(s.ExpireLeases(T0.AddSeconds(49)));
        Assert.Equal([job.Id], s.ExpireLeases(T0.AddSeconds(50)).Select(l => l.JobId));

        Assert.Equal(JobState.Queued, s.Get(job.Id)!.State);
        Assert.Equal(0, s.Allocated["workers"]);
        Assert.Equal([job.Id], s.Heartbeat("old", [job.Id], Ttl, T0.AddSeconds(51)).Lost);
        var again = Assert.Single(s.Lease(Workers(1), T0.AddSeconds(51), worker: "new"));
        Assert.Equal(lease.JobId, again.JobId);
        Assert.Equal(2, again.Attempt);
    }

    [Fact]
    public void Job_expires_after_max_attempts()
    {
        var s = new FairShareScheduler(WorkerPool(1) with { MaxAttempts = 2 });
        var job = s.Submit("t", Workers(1));
        var now = T0;
        for (var i = 0; i < 2; i++)
        {
            Assert.Single(s.Lease(Workers(1), now));
            now += TimeSpan.FromMinutes(1);
            s.ExpireLeases(now);
        }

        Assert.Equal(JobState.Expired, s.Get(job.Id)!.State);
        Assert.Equal(0, s.QueuedJobs);
    }

    [Fact]
    public void A_late_success_for_a_job_that_ran_out_of_attempts_completes_it_once_with_its_usage()
    {
        var s = new FairShareScheduler(WorkerPool(1) with { MaxAttempts = 1 });
        var job = s.Submit("t", Workers(1));
        Assert.Single(s.Lease(Workers(1)));
        s.ExpireLeases(T0 + Ttl);
        Assert.Equal(JobState.Expired, s.Get(job.Id)!.State);

        // The worker was slow, not gone: it ran the job and reports it.
        var usage = ResourceVector.Of(("workers", 1), ("cpu_ms", 42_000));
        var late = s.Complete(job.Id, JobOutcome.Succeeded, usage, T0 + Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(CompletionStatus.Completed, late.Status);
        Assert.Equal(JobState.Succeeded, late.Job!.State);
        Assert.Equal(usage, late.Job.ActualUsage);
        Assert.Equal(1, s.GetTenantUsage(Id("t")).CompletedJobs);
        Assert.Equal(1, s.GetTenantUsage(Id("t")).ReportedUsage["workers"]);

        // Counted once; a preemption report changes nothing, nor does anything after the completion.
        Assert.Equal(CompletionStatus.AlreadyCompleted, s.Complete(job.Id, JobOutcome.Succeeded, usage, T0 + Ttl + Ttl).Status);
        Assert.Equal(CompletionStatus.AlreadyCompleted, s.Complete(job.Id, JobOutcome.Failed, null, T0 + Ttl + Ttl).Status);
        Assert.Equal(1, s.GetTenantUsage(Id("t")).CompletedJobs);
        var other = s.Submit("t", Workers(1));
        Assert.Single(s.Lease(Workers(1), T0 + Ttl + Ttl));
        s.ExpireLeases(T0 + Ttl + Ttl + Ttl);
        Assert.Equal(CompletionStatus.AlreadyCompleted, s.Complete(other.Id, JobOutcome.Preempted, null, T0 + Ttl * 4).Status);
        Assert.Equal(JobState.Expired, s.Get(other.Id)!.State);
    }

    [Fact]
    public void A_late_report_for_a_job_cancelled_after_its_lease_expired_counts_its_usage_once_and_leaves_it_cancelled()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        Assert.Single(s.Lease(Workers(1), T0, worker: "slow"));
        s.ExpireLeases(T0 + Ttl);
        Assert.Equal(CancelStatus.Cancelled, s.Cancel(job.Id, T0 + Ttl + TimeSpan.FromSeconds(1)));
        Assert.Null(s.Get(job.Id)!.ActualUsage);

        // The worker was slow, not gone: it ran the job, and its report is the only account of that run.
        var usage = ResourceVector.Of(("workers", 1), ("cpu_ms", 42_000));
        var late = s.Complete(job.Id, JobOutcome.Succeeded, usage, T0 + Ttl + TimeSpan.FromSeconds(2), "slow");

        Assert.Equal(CompletionStatus.Completed, late.Status);
        Assert.Equal(JobState.Cancelled, late.Job!.State);
        Assert.Equal(usage, late.Job.ActualUsage);
        Assert.Equal(1, s.GetTenantUsage(Id("t")).ReportedUsage["workers"]);
        Assert.Equal(0, s.GetTenantUsage(Id("t")).CompletedJobs);
        Assert.Equal(CompletionStatus.AlreadyCompleted, s.Complete(job.Id, JobOutcome.Succeeded, usage, T0 + Ttl + Ttl, "slow").Status);
        Assert.Equal(1, s.GetTenantUsage(Id("t")).ReportedUsage["workers"]);
    }

    [Fact]
    public void A_job_cancelled_while_it_runs_shows_its_demand_as_charged_and_no_report_of_it_counts_though_an_earlier_lease_expired()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        Assert.Single(s.Lease(Workers(1), T0, worker: "first"));
        s.ExpireLeases(T0 + Ttl);
        Assert.Single(s.Lease(Workers(1), T0 + Ttl, worker: "second"));
        Assert.Equal(CancelStatus.Cancelled, s.Cancel(job.Id, T0 + Ttl + TimeSpan.FromSeconds(1)));
        Assert.Equal(Workers(1), s.Get(job.Id)!.ActualUsage);

        foreach (var worker in new[] { "first", "second" })
        {
            Assert.Equal(CompletionStatus.AlreadyCompleted, s.Complete(job.Id, JobOutcome.Succeeded, null, T0 + Ttl + Ttl, worker).Status);
        }

        Assert.Equal(0, s.GetTenantUsage(Id("t")).ReportedUsage["workers"]);
    }

    /// <summary>
    /// A running job cancelled without a charge (its tenant had not admitted the lease yet) is not taken as charged: the
    /// late report of the earlier lease of it that expired still counts, once.
    /// </summary>
    [Fact]
    public void A_running_job_cancelled_uncharged_after_an_earlier_lease_expired_counts_that_leases_late_report()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        Assert.Single(s.Lease(Workers(1), T0, worker: "first"));
        s.ExpireLeases(T0 + Ttl);
        Assert.Single(s.Lease(Workers(1), T0 + Ttl, worker: "second"));
        Assert.Equal(CancelStatus.Cancelled, s.Cancel(job.Id, T0 + Ttl + TimeSpan.FromSeconds(1), chargedDemand: false));
        Assert.Null(s.Get(job.Id)!.ActualUsage);

        Assert.Equal(CompletionStatus.Completed, s.Complete(job.Id, JobOutcome.Succeeded, null, T0 + Ttl + Ttl, "first").Status);
        Assert.Equal(CompletionStatus.AlreadyCompleted, s.Complete(job.Id, JobOutcome.Succeeded, null, T0 + Ttl + Ttl, "second").Status);
        Assert.Equal(1, s.GetTenantUsage(Id("t")).ReportedUsage["workers"]);
    }

    [Fact]
    public void A_job_cancelled_while_queued_that_no_lease_of_lost_by_expiry_counts_no_report()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        Assert.Single(s.Lease(Workers(1), T0, worker: "w"));
        Assert.Equal(CompletionStatus.Requeued, s.Complete(job.Id, JobOutcome.Preempted, null, T0, "w").Status);
        Assert.Equal(CancelStatus.Cancelled, s.Cancel(job.Id, T0));

        Assert.Equal(CompletionStatus.AlreadyCompleted, s.Complete(job.Id, JobOutcome.Succeeded, null, T0, "w").Status);
        Assert.Null(s.Get(job.Id)!.ActualUsage);
    }

    /// <summary>
    /// A preempted run's report is what the run held and consumed: kept (across a snapshot too) and charged with the run
    /// that ends the job, once; the same report sent again finds the job queued and counts nothing again.
    /// </summary>
    [Fact]
    public void A_preempted_runs_reported_usage_is_charged_with_the_run_that_ends_the_job_once()
    {
        var s = new FairShareScheduler(WorkerPool(2));
        var job = s.Submit("t", Workers(1));
        Assert.Single(s.Lease(Workers(1), T0, worker: "w"));
        var firstRun = ResourceVector.Of(("cpu_ms", 40_000), ("workers", 1));

        Assert.Equal(CompletionStatus.Requeued, s.Complete(job.Id, JobOutcome.Preempted, firstRun, T0, "w").Status);
        Assert.Equal(CompletionStatus.Requeued, s.Complete(job.Id, JobOutcome.Preempted, firstRun, T0).Status);
        Assert.Equal(firstRun, s.Get(job.Id)!.PreemptedUsage);
        Assert.Equal(1, s.GetTenantUsage(new TenantId("t")).ReportedUsage["workers"]);
        var restored = FairShareScheduler.FromSnapshot(JsonSerializer.Deserialize<SchedulerSnapshot>(JsonSerializer.Serialize(s.ToSnapshot()))!);
        Assert.Equal(firstRun, restored.Get(job.Id)!.PreemptedUsage);

        // A report without the worker's id cannot be told from a stale one: it requeues the job (as documented) but
        // its usage is not taken.
        Assert.Single(restored.Lease(Workers(1), T0.AddSeconds(1), worker: "w2"));
        Assert.Equal(CompletionStatus.Requeued, restored.Complete(job.Id, JobOutcome.Preempted, firstRun, T0.AddSeconds(1)).Status);
        Assert.Equal(firstRun, restored.Get(job.Id)!.PreemptedUsage);

        Assert.Single(restored.Lease(Workers(1), T0.AddSeconds(1), worker: "w2"));
        var done = restored.Complete(job.Id, JobOutcome.Succeeded, ResourceVector.Of(("cpu_ms", 2_000), ("workers", 1)), T0.AddSeconds(2), "w2");

        Assert.Equal(ResourceVector.Of(("cpu_ms", 42_000), ("workers", 2)), done.Job!.ActualUsage);
        Assert.Equal(done.Job.ActualUsage, done.Job.ChargedUsage);
        Assert.Equal(2, restored.GetTenantUsage(new TenantId("t")).ReportedUsage["workers"]);
    }

    [Fact]
    public void A_job_cancelled_after_a_preempted_run_is_charged_that_run_and_its_demand_when_it_ran_again()
    {
        var s = new FairShareScheduler(WorkerPool(2));
        var running = s.Submit("t", Workers(1));
        var queued = s.Submit("t", Workers(1));
        Assert.Equal(2, s.Lease(Workers(2), T0, worker: "w").Count);
        var run = ResourceVector.Of(("cpu_ms", 5_000), ("workers", 1));
        s.Complete(running.Id, JobOutcome.Preempted, run, T0, "w");
        s.Complete(queued.Id, JobOutcome.Preempted, run, T0, "w");
        Assert.Single(s.Lease(Workers(1), T0, worker: "w", max: 1));
        var again = s.Get(running.Id)!.State == JobState.Leased ? running : queued;
        var waiting = again == running ? queued : running;

        s.Cancel(again.Id, T0.AddSeconds(1));
        s.Cancel(waiting.Id, T0.AddSeconds(1));

        Assert.Equal(ResourceVector.Of(("cpu_ms", 5_000), ("workers", 2)), s.Get(again.Id)!.ActualUsage);
        Assert.Equal(run, s.Get(waiting.Id)!.ActualUsage);
    }

    /// <summary>
    /// A job that waits after a preempted run and whose later lease expired is cancelled uncharged (the pool grain
    /// charges nothing then): that lease's worker may still report, and its late report is charged with the preempted
    /// run's usage, once.
    /// </summary>
    [Fact]
    public void A_late_report_after_a_preempted_run_an_expiry_and_a_cancel_is_charged_with_the_preempted_run()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        var run = ResourceVector.Of(("cpu_ms", 5_000), ("workers", 1));
        Assert.Single(s.Lease(Workers(1), T0, worker: "w"));
        s.Complete(job.Id, JobOutcome.Preempted, run, T0, "w");
        Assert.Single(s.Lease(Workers(1), T0, worker: "slow"));
        s.ExpireLeases(T0 + Ttl);
        Assert.Equal(CancelStatus.Cancelled, s.Cancel(job.Id, T0 + Ttl + TimeSpan.FromSeconds(1), chargedDemand: false)); // as the pool grain cancels it
        Assert.Null(s.Get(job.Id)!.ActualUsage);

        var late = s.Complete(job.Id, JobOutcome.Succeeded, ResourceVector.Of(("cpu_ms", 1_000), ("workers", 1)), T0 + Ttl + TimeSpan.FromSeconds(2), "slow");

        Assert.Equal(CompletionStatus.Completed, late.Status);
        Assert.Equal(ResourceVector.Of(("cpu_ms", 6_000), ("workers", 2)), late.Job!.ActualUsage);
    }

    [Fact]
    public void Preempted_leases_do_not_count_against_max_attempts()
    {
        var s = new FairShareScheduler(WorkerPool(1) with { MaxAttempts = 2 });
        var job = s.Submit("t", Workers(1));
        for (var i = 0; i < 3; i++)
        {
            Assert.Single(s.Lease(Workers(1)));
            s.Complete(job.Id, JobOutcome.Preempted, null, T0);
        }

        Assert.Equal(4, Assert.Single(s.Lease(Workers(1))).Attempt);
        s.ExpireLeases(T0 + Ttl);

        // The first lease lost by expiry: queued again, one expiry short of MaxAttempts.
        var info = s.Get(job.Id)!;
        Assert.Equal(JobState.Queued, info.State);
        Assert.Equal(1, info.Expiries);
        Assert.Single(s.Lease(Workers(1), T0 + Ttl));
        s.ExpireLeases(T0 + Ttl + Ttl);
        Assert.Equal(JobState.Expired, s.Get(job.Id)!.State);
    }

    [Fact]
    public void An_expired_lease_names_its_tenant_even_when_the_job_is_forgotten_at_once()
    {
        var s = new FairShareScheduler(WorkerPool(1) with { MaxAttempts = 1, MaxFinishedJobs = 0 });
        var job = s.Submit("t", Workers(1));
        s.Lease(Workers(1));

        var expired = Assert.Single(s.ExpireLeases(T0 + Ttl));

        Assert.Equal(job.Id, expired.JobId);
        Assert.Equal(Id("t"), expired.Tenant);
        Assert.Null(s.Get(job.Id));
    }

    [Fact]
    public void A_completion_reports_what_the_job_held_and_what_it_consumed_in_units_of_its_own()
    {
        var s = new FairShareScheduler(WorkerPool(4));
        var held = s.Submit("t", Workers(2));
        var consumedOnly = s.Submit("t", Workers(1));
        s.Lease(Workers(4));

        var actual = ResourceVector.Of(("workers", 1), ("cpu_ms", 52_000), ("memory_mb_seconds", 9_000));
        Assert.Equal(actual, s.Complete(held.Id, true, actual, T0.AddSeconds(5)).Job!.ActualUsage);
        Assert.Equal(1, s.GetTenantUsage(Id("t")).ReportedUsage["workers"]); // the held part, not the demand of 2

        // Only consumption reported: the job is taken to have held its demand.
        s.Complete(consumedOnly.Id, true, ResourceVector.Of(("gpu_hours", 2)), T0.AddSeconds(6));
        Assert.Equal(2, s.GetTenantUsage(Id("t")).ReportedUsage["workers"]);

        var negative = Assert.Throws<SchedulingException>(() => s.Complete(new JobId(99), true, ResourceVector.Of(("cpu_ms", -1)), T0));
        Assert.Equal(SchedulingErrorCodes.InvalidArgument, negative.Code);
        Assert.Contains("cpu_ms=-1", negative.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_usage_amount_no_budget_could_count_is_refused_and_the_job_waits_for_a_report_that_can_be()
    {
        var s = new FairShareScheduler(WorkerPool(4));
        var job = s.Submit("t", Workers(1));
        s.Lease(Workers(4));

        var tooLarge = Assert.Throws<SchedulingException>(() =>
            s.Complete(job.Id, true, ResourceVector.Of(("cpu_ms", Quotas.Core.Tenants.QuotaLimit.MaxValue + 1)), T0.AddSeconds(1)));

        Assert.Equal(SchedulingErrorCodes.InvalidArgument, tooLarge.Code);
        Assert.Contains($"cpu_ms={Quotas.Core.Tenants.QuotaLimit.MaxValue + 1}", tooLarge.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Leased, s.Get(job.Id)!.State);
        Assert.Equal(CompletionStatus.Completed, s.Complete(job.Id, true, ResourceVector.Of(("cpu_ms", Quotas.Core.Tenants.QuotaLimit.MaxValue)), T0.AddSeconds(2)).Status);

        // A report that records nothing is not asked: a retry of one already counted answers as before.
        var retry = s.Complete(job.Id, true, ResourceVector.Of(("cpu_ms", Quotas.Core.Tenants.QuotaLimit.MaxValue + 1)), T0.AddSeconds(3));
        Assert.Equal(CompletionStatus.AlreadyCompleted, retry.Status);
    }

    [Fact]
    public void A_demand_no_budget_could_count_is_refused_at_submit()
    {
        var s = new FairShareScheduler(WorkerPool(long.MaxValue));

        var refused = Assert.Throws<SchedulingException>(() => s.Submit("t", Workers(Quotas.Core.Tenants.QuotaLimit.MaxValue + 1)));

        Assert.Equal(SchedulingErrorCodes.InvalidArgument, refused.Code);
        Assert.Contains("larger unit", refused.Message, StringComparison.Ordinal);
        Assert.Equal(Quotas.Core.Tenants.QuotaLimit.MaxValue, s.Submit("t", Workers(Quotas.Core.Tenants.QuotaLimit.MaxValue)).Demand["workers"]);
    }

    [Fact]
    public void Reported_usage_a_tenant_sums_over_many_jobs_stops_at_the_largest_count_instead_of_turning_negative()
    {
        var s = new FairShareScheduler(WorkerPool(4));
        var largest = ResourceVector.Of(("workers", Quotas.Core.Tenants.QuotaLimit.MaxValue));
        for (var i = 0; i < 1100; i++)
        {
            var job = s.Submit("t", Workers(1));
            s.Lease(Workers(1));
            s.Complete(job.Id, true, largest, T0.AddSeconds(1));
        }

        Assert.Equal(long.MaxValue, s.GetTenantUsage(Id("t")).ReportedUsage["workers"]);
    }

    [Fact]
    public void Second_completion_reports_already_completed_and_counts_nothing_again()
    {
        var s = new FairShareScheduler(WorkerPool(4));
        var job = s.Submit("t", Workers(2));
        s.Lease(Workers(4));

        var first = s.Complete(job.Id, true, Workers(1), T0.AddSeconds(5));
        var second = s.Complete(job.Id, true, Workers(1), T0.AddSeconds(6));
        var third = s.Complete(job.Id, false, Workers(1), T0.AddSeconds(7));

        Assert.Equal(CompletionStatus.Completed, first.Status);
        Assert.Equal(CompletionStatus.AlreadyCompleted, second.Status);
        Assert.Equal(CompletionStatus.AlreadyCompleted, third.Status);
        var usage = s.GetTenantUsage(Id("t"));
        Assert.Equal(1, usage.CompletedJobs);
        Assert.Equal(1, usage.ReportedUsage["workers"]);
        Assert.Equal(0, s.Allocated["workers"]);
        Assert.Equal(JobState.Succeeded, s.Get(job.Id)!.State);
    }

    [Fact]
    public void Stale_worker_completing_a_requeued_job_completes_it_once()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        s.Lease(Workers(1));
        s.ExpireLeases(T0.AddMinutes(1));

        Assert.Equal(CompletionStatus.Completed, s.Complete(job.Id, true, null, T0.AddMinutes(2)).Status);
        Assert.Equal(0, s.QueuedJobs);
        Assert.Empty(s.Lease(Workers(1), T0.AddMinutes(2)));
    }

    [Fact]
    public void Cancel_frees_a_leased_job_and_its_worker_learns_by_heartbeat()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        s.Lease(Workers(1));

        Assert.Equal(CancelStatus.Cancelled, s.Cancel(job.Id, T0));
        Assert.Equal(CancelStatus.AlreadyFinished, s.Cancel(job.Id, T0));
        Assert.Equal(CancelStatus.NotFound, s.Cancel(new JobId(999), T0));
        Assert.Equal([job.Id], s.Heartbeat("w1", [job.Id], Ttl, T0).Lost);
        Assert.Equal(CompletionStatus.AlreadyCompleted, s.Complete(job.Id, true, null, T0).Status);
        Assert.Equal(0, s.Allocated["workers"]);
    }

    [Fact]
    public void Cancelled_queued_job_is_never_leased()
    {
        var s = new FairShareScheduler(WorkerPool(2));
        var cancelled = s.Submit("t", Workers(1), priority: 5);
        var kept = s.Submit("t", Workers(1));
        s.Cancel(cancelled.Id, T0);

        Assert.Equal(kept.Id, Assert.Single(s.Lease(Workers(2))).JobId);
    }

    [Fact]
    public void A_queued_job_the_shrunken_pool_cannot_hold_is_set_aside_without_holding_up_its_tenant_and_runs_when_capacity_returns()
    {
        var s = new FairShareScheduler(WorkerPool(4));
        var big = s.Submit("a", Workers(4));
        var small = s.Submit("a", Workers(1), now: T0.AddSeconds(1));
        s.UpdateCapacity(Workers(2), T0.AddSeconds(2));

        var whileSmall = s.Lease(Workers(2), T0.AddSeconds(3));
        s.Complete(small.Id, true, null, T0.AddSeconds(4));
        var stillSmall = s.Lease(Workers(2), T0.AddSeconds(5));
        var queuedWhileAside = s.QueuedJobs;
        s.UpdateCapacity(Workers(4), T0.AddSeconds(6));
        var afterGrowth = s.Lease(Workers(4), T0.AddSeconds(7));

        Assert.Equal(small.Id, Assert.Single(whileSmall).JobId);
        Assert.Empty(stillSmall);
        Assert.Equal(1, queuedWhileAside);
        Assert.Equal(JobState.Leased, s.Get(big.Id)!.State);
        Assert.Equal(big.Id, Assert.Single(afterGrowth).JobId);
    }

    [Fact]
    public void A_job_set_aside_can_be_cancelled_and_its_tenant_queues_again()
    {
        var s = new FairShareScheduler(WorkerPool(4));
        var big = s.Submit("a", Workers(3));
        s.UpdateCapacity(Workers(2), T0.AddSeconds(1));
        Assert.Empty(s.Lease(Workers(2), T0.AddSeconds(2)));

        var cancelled = s.Cancel(big.Id, T0.AddSeconds(3));
        var next = s.Submit("a", Workers(2), now: T0.AddSeconds(4));
        var leased = s.Lease(Workers(2), T0.AddSeconds(5));

        Assert.Equal(CancelStatus.Cancelled, cancelled);
        Assert.Equal(next.Id, Assert.Single(leased).JobId);
        Assert.Equal(JobState.Cancelled, s.Get(big.Id)!.State);
        Assert.Equal(0, s.QueuedJobs);
    }
}
