using Grains;
using Quotas.Core.Scheduling;

namespace Quotas.Contracts;

/// <summary>
/// One resource pool, keyed by pool id: holds its queued jobs and hands them to workers in weighted fair order.
/// Every acknowledged change (configuration, submit, cancel, lease, completion) is persisted before the call returns.
/// </summary>
public interface IFairShareSchedulerGrain : IGrainWithStringKey
{
    /// <summary>Creates the pool or replaces its configuration; a capacity change re-balances at once.</summary>
    Task<PoolConfig> Configure(PoolConfig config);

    /// <summary>Creates the pool; <c>pool_exists</c> when it exists, however many creations run at once.</summary>
    Task<PoolConfig> CreatePool(PoolConfig config);

    /// <summary>Replaces the configuration of the pool; <c>unknown_pool</c> when it does not exist (it is not created).</summary>
    Task<PoolConfig> ReplaceConfig(PoolConfig config);

    /// <summary>
    /// Changes the capacity alone, in one step with the rest of the configuration as it is then; <c>unknown_pool</c>
    /// when the pool does not exist. With the same resources the pool keeps what it knows in memory (which tenant
    /// waits for capacity, which marks got their grace); a resource added rebuilds it as a new configuration does.
    /// </summary>
    Task<PoolConfig> UpdateCapacity(ResourceVector capacity);

    /// <summary>The pool's configuration, or null when the pool does not exist.</summary>
    Task<PoolConfig?> GetConfig();

    /// <summary>
    /// When a pool of this id was last deleted; null when none ever was. Answered whether or not the pool exists now:
    /// what was recorded for a deleted pool before that time (idempotency records of submissions) is not the new one's.
    /// </summary>
    [Idempotent]
    Task<DateTimeOffset?> GetLastDeletedAt();

    /// <summary>Deletes the pool; refused while jobs are queued or leased unless forced.</summary>
    Task Delete(bool force);

    /// <summary>Queues a job; a retried submit with the same idempotency key returns the same job.</summary>
    Task<SubmitResult> Submit(SubmitJobRequest request);

    Task<JobInfo?> GetJob(JobId id);

    Task<CancelStatus> Cancel(JobId id);

    Task<JobPage> ListJobs(TenantId tenant, int pageSize, string? cursor);

    /// <summary>
    /// Every tenant's jobs in the pool in id order, a page at a time; only those in <paramref name="state"/> when given.
    /// A page of one state examines a bounded number of jobs and may come back short, or empty, with a cursor to go on
    /// from; only a null cursor ends the list.
    /// </summary>
    Task<JobPage> ListPoolJobs(JobState? state, int pageSize, string? cursor);

    /// <summary>Gives a worker the jobs that fit its free capacity, in fair order, under a lease.</summary>
    Task<IReadOnlyList<JobLease>> LeaseJobs(string workerId, ResourceVector freeCapacity, TimeSpan leaseTtl, int maxJobs);

    /// <summary>Extends the worker's leases; answers which jobs to stop (preempted) and which it no longer holds.</summary>
    Task<HeartbeatResult> Heartbeat(string workerId, IReadOnlyList<JobId> jobIds, TimeSpan leaseTtl);

    /// <summary>Records a job's end and its actual usage, once: a second completion changes nothing.</summary>
    Task<CompleteResult> Complete(JobId id, JobOutcome outcome, ResourceVector? actualUsage);

    /// <summary>
    /// <see cref="Complete(JobId, JobOutcome, ResourceVector?)"/> reported by the worker <paramref name="workerId"/>
    /// (null: unknown, as the older method): a Preempted report from a worker that lost the lease changes nothing and
    /// answers <see cref="CompletionStatus.LeaseLost"/>. A new method, not a parameter added to the old one, so that
    /// callers of the old method keep working during a rolling upgrade (docs/contracts.md).
    /// </summary>
    Task<CompleteResult> CompleteReportedBy(string? workerId, JobId id, JobOutcome outcome, ResourceVector? actualUsage);

    /// <summary>Per-tenant allocation and usage in this pool.</summary>
    Task<TenantUsage> GetTenantUsage(TenantId tenant);

    /// <summary>The standing of every tenant the pool knows, in tenant id order, a page at a time.</summary>
    Task<TenantUsagePage> ListTenantUsage(int pageSize, string? cursor);

    /// <summary>
    /// Forgets a deleted tenant's jobs (queued, running, finished) and counted usage here, so that a tenant created
    /// again under its id neither sees nor is charged for them; nothing is asked of the tenant. Returns the completed
    /// jobs whose usage the pool has not yet charged, for the tenant to charge itself; they stay owed until the tenant
    /// says it has stored them (<see cref="TenantChargedItself"/>), so a delete that fails before then loses none and
    /// a retried one gets them again. A pool that does not exist forgets nothing.
    /// </summary>
    Task<IReadOnlyList<JobInfo>> RemoveTenant(TenantId tenant);

    /// <summary>
    /// Called by a tenant being deleted once it has stored the usage of these jobs, which <see cref="RemoveTenant"/>
    /// handed it: the pool no longer owes it. Added after the first release: an older silo answers that it does not
    /// know the method, having forgotten the usage when it handed it over.
    /// </summary>
    Task TenantChargedItself(TenantId tenant, IReadOnlyList<JobId> jobs);

    /// <summary>Jobs queued in the pool, all tenants together: the figure its <see cref="PoolConfig.MaxQueuedJobsPerPool"/> bounds.</summary>
    Task<int> GetQueuedJobs();
}
