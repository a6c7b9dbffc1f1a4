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
}
