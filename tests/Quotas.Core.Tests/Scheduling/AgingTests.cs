using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class AgingTests
{
    private static int DispatchesUntilLowPriorityRuns(double agingPerSecond, int limit)
    {
        var s = new FairShareScheduler(WorkerPool(1) with { AgingPerSecond = agingPerSecond });
        var now = T0;
        for (var i = 0; i < 5; i++)
        {
            s.Submit("t", Workers(1), priority: 10, now: now);
        }

        var low = s.Submit("t", Workers(1), priority: 0, now: now);
        for (var dispatch = 1; dispatch <= limit; dispatch++)
        {
            s.Submit("t", Workers(1), priority: 10, now: now);
            var lease = Assert.Single(s.Lease(Workers(1), now));
            if (lease.JobId == low.Id)
            {
                return dispatch;
            }

            s.Complete(lease.JobId, true, null, now);
            now += TimeSpan.FromSeconds(1);
        }

        return -1;
    }

    [Fact]
    public void Low_priority_job_runs_within_bounded_dispatches_while_its_tenant_floods_high_priority()
    {
        // Aging 1 point/s: the low job (0 at T0) outranks a priority-10 job submitted 10 s or more after it; only the
        // five older high jobs and those submitted in the first 10 s go first.
        var dispatches = DispatchesUntilLowPriorityRuns(agingPerSecond: 1, limit: 1000);

        Assert.InRange(dispatches, 1, 5 + 11 + 1);
    }

    [Fact]
    public void Without_aging_the_flood_starves_the_low_priority_job()
    {
        Assert.Equal(-1, DispatchesUntilLowPriorityRuns(agingPerSecond: 0, limit: 200));
    }

    [Fact]
    public void Equal_priorities_run_in_submission_order()
    {
        var s = new FairShareScheduler(WorkerPool(3));
        var ids = Enumerable.Range(0, 3).Select(_ => s.Submit("t", Workers(1)).Id).ToArray();

        var leased = s.Lease(Workers(3)).Select(l => l.JobId).ToArray();

        Assert.Equal(ids, leased);
    }
}
