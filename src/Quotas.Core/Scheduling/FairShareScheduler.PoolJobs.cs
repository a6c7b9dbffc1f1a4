namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    /// <summary>
    /// Jobs a page of one state looks at, at most: a page holds up the pool's other calls while it is made, so it
    /// stops there and returns a cursor, even with fewer jobs than asked (or none), and the caller follows it.
    /// </summary>
    public const int MaxJobsExaminedPerPage = 10_000;

    /// <summary>
    /// Every tenant's jobs in the pool, in id order, <paramref name="pageSize"/> at a time; only those in
    /// <paramref name="state"/> when given. A page of one state examines at most <see cref="MaxJobsExaminedPerPage"/>
    /// jobs: it may then hold fewer jobs than asked, or none, with a <see cref="JobPage.NextCursor"/> to go on from.
    /// Only a null cursor means the end.
    /// </summary>
    public JobPage ListJobs(JobState? state, int pageSize, string? cursor = null)
    {
        if (state is null or JobState.Leased)
        {
            SettleReclaim(); // only running jobs carry marks
        }

        var after = JobCursor(pageSize, cursor);
        if (state == JobState.Leased)
        {
            return JobPageOf(_leased, after, pageSize);
        }

        var page = new List<JobInfo>(Math.Min(pageSize, _jobs.Count));
        var examined = 0;
        foreach (var job in _jobs.After(after))
        {
            if (state is null || job.State == state)
            {
                if (page.Count == pageSize)
                {
                    return new JobPage(page, page[^1].Id.ToString());
                }

                page.Add(job.ToInfo());
            }

            if (++examined == MaxJobsExaminedPerPage)
            {
                return new JobPage(page, new JobId(job.Id).ToString());
            }
        }

        return new JobPage(page, null);
    }
}
