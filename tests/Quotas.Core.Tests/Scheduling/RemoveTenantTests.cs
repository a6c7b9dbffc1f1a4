using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class RemoveTenantTests
{
    [Fact]
    public void A_removed_tenants_jobs_are_forgotten_its_capacity_freed_and_the_other_tenants_jobs_kept()
    {
        var s = new FairShareScheduler(WorkerPool(3) with { MaxFinishedJobs = 10 });
        var done = s.Submit("a", Workers(1));
        var other = s.Submit("b", Workers(1));
        s.Lease(Workers(2));
        s.Complete(done.Id, true, null, T0);
        var running = s.Submit("a", Workers(1));
        var queued = s.Submit("a", Workers(1), priority: 5);
        s.Lease(Workers(1));

        var removed = s.RemoveTenant(new TenantId("a"), T0);

        Assert.Equal([done.Id, running.Id, queued.Id], removed.OrderBy(id => id.Value));
        Assert.All(removed, id => Assert.Null(s.Get(id)));
        Assert.Equal(JobState.Leased, s.Get(other.Id)!.State);
        Assert.Equal(0, s.QueuedJobs);
        Assert.Equal(1, s.LeasedJobs);
        Assert.Equal(Workers(1), s.Allocated);
        Assert.Empty(s.List(new TenantId("a"), 10).Jobs);
        Assert.Equal(0, s.GetTenantUsage(new TenantId("a")).CompletedJobs);

        // A tenant created again under the id starts afresh: its key is new to the pool, and the pool has room for it.
        var again = s.Submit(new SubmitJobRequest(new TenantId("a"), Workers(1), 0, running.IdempotencyKey), T0).Job;
        Assert.NotEqual(running.Id, again.Id);
        Assert.Single(s.Lease(Workers(2)));

        // The retention queue no longer holds the forgotten jobs: finishing more jobs forgets only those.
        for (var i = 0; i < 12; i++)
        {
            var job = s.Submit("b", Workers(1));
            Assert.Single(s.Lease(Workers(1)));
            s.Complete(job.Id, true, null, T0);
        }

        Assert.Equal(JobState.Leased, s.Get(other.Id)!.State);
        Assert.Equal(JobState.Leased, s.Get(again.Id)!.State);
    }
}
