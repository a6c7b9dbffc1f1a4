namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    /// <summary>
    /// Every tenant's jobs in the pool, in id order, <paramref name="pageSize"/> at a time; only those in
    /// <paramref name="state"/> when given. An operator's read: running jobs come from the list of leases, but any
    /// other page walks every job the pool knows (O(jobs × log page size)), so it is for inspection, not for a caller
    /// that polls.
    /// </summary>
    public JobPage ListJobs(JobState? state, int pageSize, string? cursor = null)
    {
        var after = JobCursor(pageSize, cursor);
        IEnumerable<Job> jobs = state switch
        {
            null => _jobs.Values,
            JobState.Leased => _leased,
            _ => _jobs.Values.Where(job => job.State == state),
        };
        return JobPageOf(jobs, after, pageSize);
    }
}
