using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class PoolJobsTests
{
    [Fact]
    public void Every_tenants_jobs_are_listed_by_id_a_page_at_a_time_and_by_state_when_asked()
    {
        var s = new FairShareScheduler(WorkerPool(2));
        var ids = new List<JobId>();
        foreach (var tenant in new[] { "b", "a", "c", "a", "b" })
        {
            ids.Add(s.Submit(tenant, Workers(1)).Id);
        }

        var leased = s.Lease(Workers(2)).Select(l => l.JobId).ToHashSet();
        s.Cancel(ids[4], T0);

        var first = s.ListJobs(null, 2);
        var rest = s.ListJobs(null, 10, first.NextCursor);
        Assert.Equal(ids, first.Jobs.Concat(rest.Jobs).Select(j => j.Id));
        Assert.Null(rest.NextCursor);

        Assert.Equal(leased.OrderBy(id => id.Value), s.ListJobs(JobState.Leased, 10).Jobs.Select(j => j.Id));
        Assert.Equal(ids.Where(id => !leased.Contains(id) && id != ids[4]), s.ListJobs(JobState.Queued, 10).Jobs.Select(j => j.Id));
        Assert.Equal([ids[4]], s.ListJobs(JobState.Cancelled, 10).Jobs.Select(j => j.Id));
        Assert.Empty(s.ListJobs(JobState.Expired, 10).Jobs);
        Assert.Equal(SchedulingErrorCodes.InvalidCursor, Assert.Throws<SchedulingException>(() => s.ListJobs(null, 10, "x")).Code);
    }

    [Fact]
    public void A_page_of_one_state_stops_after_examining_its_limit_and_hands_back_a_cursor_to_go_on()
    {
        var count = FairShareScheduler.MaxJobsExaminedPerPage + 5;
        var s = new FairShareScheduler(WorkerPool(1) with { MaxQueuedJobsPerTenant = count, MaxQueuedJobsPerPool = count });
        var ids = new List<JobId>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(s.Submit("a", Workers(1)).Id);
        }

        s.Cancel(ids[^1], T0);

        // The first page looks at the limit's worth of queued jobs and finds no cancelled one; it says where to go on.
        var first = s.ListJobs(JobState.Cancelled, 10);
        Assert.Empty(first.Jobs);
        Assert.Equal(ids[FairShareScheduler.MaxJobsExaminedPerPage - 1].ToString(), first.NextCursor);

        var second = s.ListJobs(JobState.Cancelled, 10, first.NextCursor);
        Assert.Equal([ids[^1]], second.Jobs.Select(j => j.Id));
        Assert.Null(second.NextCursor);

        // Pages of every state still come full, with the limit far above any page size.
        var all = s.ListJobs(null, 1000, ids[100].ToString());
        Assert.Equal(ids.Skip(101).Take(1000), all.Jobs.Select(j => j.Id));
        Assert.Equal(ids[1100].ToString(), all.NextCursor);
    }
}
