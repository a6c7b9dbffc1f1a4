using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

/// <summary>A worker whose lease expired reports late, after the job was leased again to another worker.</summary>
public sealed class StaleWorkerReportTests
{
    [Fact]
    public void A_preemption_report_from_the_worker_that_lost_the_lease_changes_nothing()
    {
        var (s, job) = LeasedAgainToW2();
        var before = s.Json();

        var stale = s.Complete(job.Id, JobOutcome.Preempted, null, T0.AddSeconds(40), workerId: "w1");

        Assert.Equal(CompletionStatus.LeaseLost, stale.Status);
        Assert.Equal(JobState.Leased, stale.Job!.State);
        Assert.Equal(before, s.Json());
        Assert.Equal(1, s.Allocated["workers"]);
        Assert.Equal([job.Id], s.Heartbeat("w2", [job.Id], Ttl, T0.AddSeconds(41)).Renewed);
    }

    [Fact]
    public void A_preemption_report_for_a_requeued_job_from_its_former_worker_answers_lease_lost()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        s.Lease(Workers(1), T0, worker: "w1");
        s.ExpireLeases(T0 + Ttl);

        var stale = s.Complete(job.Id, JobOutcome.Preempted, null, T0.AddSeconds(31), workerId: "w1");

        Assert.Equal(CompletionStatus.LeaseLost, stale.Status);
        Assert.Equal(JobState.Queued, s.Get(job.Id)!.State);
        Assert.Equal(1, s.QueuedJobs);
    }

    [Fact]
    public void A_success_report_from_the_worker_that_lost_the_lease_still_completes_the_job_once()
    {
        var (s, job) = LeasedAgainToW2();

        var late = s.Complete(job.Id, JobOutcome.Succeeded, null, T0.AddSeconds(40), workerId: "w1");
        var current = s.Complete(job.Id, JobOutcome.Succeeded, null, T0.AddSeconds(50), workerId: "w2");

        Assert.Equal(CompletionStatus.Completed, late.Status);
        Assert.Equal(CompletionStatus.AlreadyCompleted, current.Status);
        Assert.Equal(1, s.GetTenantUsage(Id("t")).CompletedJobs);
        Assert.Equal(0, s.Allocated["workers"]);
        Assert.Equal([job.Id], s.Heartbeat("w2", [job.Id], Ttl, T0.AddSeconds(51)).Lost);
    }

    [Fact]
    public void A_preemption_report_from_the_worker_that_holds_the_lease_requeues_the_job()
    {
        var (s, job) = LeasedAgainToW2();

        var preempted = s.Complete(job.Id, JobOutcome.Preempted, null, T0.AddSeconds(40), workerId: "w2");

        Assert.Equal(CompletionStatus.Requeued, preempted.Status);
        Assert.Equal(JobState.Queued, s.Get(job.Id)!.State);
        Assert.Equal(0, s.Allocated["workers"]);
    }

    [Fact]
    public void A_preemption_report_without_a_worker_id_requeues_the_job_as_before()
    {
        var (s, job) = LeasedAgainToW2();

        var preempted = s.Complete(job.Id, JobOutcome.Preempted, null, T0.AddSeconds(40));

        Assert.Equal(CompletionStatus.Requeued, preempted.Status);
        Assert.Equal(JobState.Queued, s.Get(job.Id)!.State);
        Assert.Equal(0, s.Allocated["workers"]);
    }

    [Fact]
    public void An_empty_worker_id_is_refused_before_anything_changes()
    {
        var (s, job) = LeasedAgainToW2();

        var error = Assert.Throws<SchedulingException>(() => s.Complete(job.Id, JobOutcome.Preempted, null, T0.AddSeconds(40), workerId: ""));

        Assert.Equal(SchedulingErrorCodes.InvalidArgument, error.Code);
        Assert.Equal(JobState.Leased, s.Get(job.Id)!.State);
    }

    [Theory]
    [InlineData(JobOutcome.Succeeded)]
    [InlineData(JobOutcome.Failed)]
    [InlineData(JobOutcome.Preempted)]
    public void A_report_for_a_job_no_worker_has_leased_changes_and_counts_nothing(JobOutcome outcome)
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        var before = s.Json();

        var report = s.Complete(job.Id, outcome, Workers(1), T0, workerId: "w9");

        Assert.Equal(CompletionStatus.LeaseLost, report.Status);
        Assert.Equal(before, s.Json());
        Assert.Equal(0, s.GetTenantUsage(Id("t")).CompletedJobs);
        Assert.Equal(job.Id, Assert.Single(s.Lease(Workers(1), T0, worker: "w1")).JobId);
    }

    [Fact]
    public void A_report_for_a_cancelled_job_counts_nothing()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        s.Cancel(job.Id, T0);

        var report = s.Complete(job.Id, JobOutcome.Succeeded, null, T0.AddSeconds(1), workerId: "w1");

        Assert.Equal(CompletionStatus.AlreadyCompleted, report.Status);
        Assert.Equal(JobState.Cancelled, report.Job!.State);
        Assert.Equal(0, s.GetTenantUsage(Id("t")).CompletedJobs);
    }

    /// <summary>w1 leases the job at T0, its lease expires at T0 + 30 s, and w2 leases the job again at T0 + 31 s.</summary>
    private static (FairShareScheduler Scheduler, JobInfo Job) LeasedAgainToW2()
    {
        var s = new FairShareScheduler(WorkerPool(1));
        var job = s.Submit("t", Workers(1));
        Assert.Single(s.Lease(Workers(1), T0, worker: "w1"));
        Assert.Single(s.ExpireLeases(T0 + Ttl));
        Assert.Equal(2, Assert.Single(s.Lease(Workers(1), T0.AddSeconds(31), worker: "w2")).Attempt);
        return (s, job);
    }
}
