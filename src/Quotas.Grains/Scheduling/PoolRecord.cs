using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// One stored entry of a pool (see <see cref="PoolRecords"/> for the keys): exactly one member is set. A pool is kept
/// as one entry per job, so a write stores the jobs that changed, not the whole queue.
/// </summary>
public sealed class PoolRecord
{
    /// <summary>Entry "config": the pool's configuration, tenants included.</summary>
    public PoolConfig? Config { get; set; }

    /// <summary>
    /// Entry "sequence": the id the next job gets. Ids are never reused: the entry outlives a deleted pool, and a pool
    /// created again under its id goes on from it.
    /// </summary>
    public long? NextJobId { get; set; }

    /// <summary>Entry "job/{id}": a job the pool still knows.</summary>
    public JobInfo? Job { get; set; }

    /// <summary>
    /// With <see cref="Job"/>: true when it is marked for preemption and its worker has not been told yet, so that a
    /// pool read back may still take the mark back (a mark the worker was told of stays); null otherwise.
    /// </summary>
    public bool? PreemptionUndelivered { get; set; }

    /// <summary>Entry "leases/{id}": the tenant lease ids held for a running job (see <see cref="TenantAdmission"/>).</summary>
    public List<string>? TenantLeases { get; set; }

    /// <summary>
    /// Entry "unreleased/{id}": tenant leases of a job whose lease ended and whose release failed, released again by the
    /// pool's sweep (see <see cref="TenantAdmission"/>), also after a restart.
    /// </summary>
    public UnreleasedLeases? UnreleasedLeases { get; set; }

    /// <summary>Entry "owed/{id}": a completed job whose usage is still to be recorded with its tenant (see <see cref="OwedUsage"/>).</summary>
    public JobInfo? OwedUsage { get; set; }

    /// <summary>Entry "wait/{tenant}": a tenant whose next job a budget refused, held back (see <see cref="BudgetWaits"/>).</summary>
    public BudgetWait? BudgetWait { get; set; }

    /// <summary>Entry "usage/{tenant}": a tenant's counted usage and decayed history.</summary>
    public TenantUsageSnapshot? Usage { get; set; }

    /// <summary>
    /// Entry "deleted": when a pool of this id was last deleted. Like the sequence it outlives the pool, so that what
    /// was recorded for the deleted pool (idempotency records of submissions) is not taken for the new one's.
    /// </summary>
    public DateTimeOffset? DeletedAt { get; set; }
}

/// <summary>Tenant leases a pool could not release yet: the tenant that granted them and their ids.</summary>
public sealed record UnreleasedLeases(TenantId Tenant, List<string> LeaseIds);
