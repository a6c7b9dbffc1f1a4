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

    /// <summary>Entry "sequence": the id the next job gets (ids are never reused).</summary>
    public long? NextJobId { get; set; }

    /// <summary>Entry "job/{id}": a job the pool still knows.</summary>
    public JobInfo? Job { get; set; }

    /// <summary>Entry "leases/{id}": the tenant lease ids held for a running job (see <see cref="TenantAdmission"/>).</summary>
    public List<string>? TenantLeases { get; set; }

    /// <summary>Entry "usage/{tenant}": a tenant's counted usage and decayed history.</summary>
    public TenantUsageSnapshot? Usage { get; set; }
}
