using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class FinishedJobRetentionTests
{
    private static FairShareScheduler Pool(int maxFinished = 100_000) => new(WorkerPool(100) with
    {
        FinishedJobRetention = TimeSpan.FromMinutes(10),
        MaxFinishedJobs = maxFinished,
    });

    private static JobId RunToEnd(FairShareScheduler s, string key, DateTimeOffset now)
    {
        var id = s.Submit(new SubmitJobRequest(Id("t"), Workers(1), 0, key), now).Job.Id;
        var lease = Assert.Single(s.Lease(Workers(1), now));
        s.Complete(lease.JobId, true, null, now);
        return id;
    }

    [Fact]
    public void Retried_submit_within_the_window_returns_the_finished_job()
    {
        var s = Pool();
        var id = RunToEnd(s, "order-1", T0);

        var retry = s.Submit(new SubmitJobRequest(Id("t"), Workers(1), 0, "order-1"), T0.AddMinutes(9));

        Assert.False(retry.Created);
        Assert.Equal(id, retry.Job.Id);
        Assert.Equal(JobState.Succeeded, retry.Job.State);
    }

    [Fact]
    public void Finished_job_is_forgotten_after_the_window()
    {
        var s = Pool();
        var id = RunToEnd(s, "order-1", T0);
        RunToEnd(s, "order-2", T0.AddMinutes(11));

        Assert.Null(s.Get(id));
        var retry = s.Submit(new SubmitJobRequest(Id("t"), Workers(1), 0, "order-1"), T0.AddMinutes(11));
        Assert.True(retry.Created);
        Assert.NotEqual(id, retry.Job.Id);
    }

    /// <summary>
    /// In a quiet pool no other job finishes to forget it: a submit past the window, and the owner's sweep, forget the
    /// finished job all the same. The retry used to get the old job back until some other job of the pool finished.
    /// </summary>
    [Fact]
    public void Finished_job_is_forgotten_after_the_window_though_no_other_job_finishes()
    {
        var s = Pool();
        var id = RunToEnd(s, "order-1", T0);

        var retry = s.Submit(new SubmitJobRequest(Id("t"), Workers(1), 0, "order-1"), T0.AddMinutes(11));
        s.Complete(Assert.Single(s.Lease(Workers(1), T0.AddMinutes(12))).JobId, true, null, T0.AddMinutes(12));
        var keptUntilTheSweep = s.Get(retry.Job.Id);
        s.ExpireLeases(T0.AddMinutes(23));

        Assert.True(retry.Created);
        Assert.NotEqual(id, retry.Job.Id);
        Assert.Null(s.Get(id));
        Assert.Equal(JobState.Succeeded, keptUntilTheSweep?.State);
        Assert.Null(s.Get(retry.Job.Id));
    }

    /// <summary>
    /// Whether a submission would be a retry (what lets a suspended tenant's retry through): not for a job past its
    /// retention, which the submission would forget and submit anew; and the pool says it forgot jobs, for its owner
    /// to store them as gone.
    /// </summary>
    [Fact]
    public void A_job_past_its_retention_is_no_job_to_retry_and_forgetting_it_is_a_change_to_store()
    {
        var s = new FairShareScheduler(WorkerPool(100) with { FinishedJobRetention = TimeSpan.FromMinutes(10) }, trackChanges: true);
        RunToEnd(s, "order-1", T0);
        s.TakeChanges();

        Assert.True(s.HasJob(Id("t"), "order-1", T0.AddMinutes(10)));
        Assert.False(s.HasJob(Id("t"), "order-1", T0.AddMinutes(11)));
        Assert.False(s.ForgotSinceTaken);
        s.ExpireLeases(T0.AddMinutes(11));
        Assert.True(s.ForgotSinceTaken);
        Assert.Single(s.TakeChanges().Forgotten);
        Assert.False(s.ForgotSinceTaken);
    }

    [Fact]
    public void At_most_MaxFinishedJobs_are_kept_oldest_finished_first_and_paging_skips_forgotten_jobs()
    {
        var s = Pool(maxFinished: 3);
        var ids = Enumerable.Range(0, 50).Select(i => RunToEnd(s, "k" + i, T0.AddSeconds(i))).ToList();

        Assert.All(ids.Take(47), id => Assert.Null(s.Get(id)));
        Assert.All(ids.Skip(47), id => Assert.Equal(JobState.Succeeded, s.Get(id)!.State));
        var page = s.List(Id("t"), 2);
        Assert.Equal(ids.Skip(47).Take(2), page.Jobs.Select(j => j.Id));
        var rest = s.List(Id("t"), 2, page.NextCursor);
        Assert.Equal(ids.Skip(49), rest.Jobs.Select(j => j.Id));
        Assert.Null(rest.NextCursor);
        Assert.Equal(3, s.ToSnapshot().Jobs.Count);
    }

    [Fact]
    public void Reused_job_records_keep_ids_and_state_apart()
    {
        var s = Pool(maxFinished: 0);
        for (var i = 0; i < 200; i++)
        {
            RunToEnd(s, "k" + i, T0);
        }

        var queued = s.Submit(new SubmitJobRequest(Id("t"), Workers(2), 5, "fresh"), T0).Job;
        var info = s.Get(queued.Id)!;
        Assert.Equal(JobState.Queued, info.State);
        Assert.Equal(0, info.Attempts);
        Assert.Null(info.CompletedAt);
        Assert.Equal(Workers(2), info.Demand);
        Assert.Equal(1, s.QueuedJobs);
    }
}
