using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>What a pool persists: its configuration and every job that is not yet forgotten.</summary>
public sealed class PoolState
{
    /// <summary>Null until the pool is configured, and again after it is deleted.</summary>
    public SchedulerSnapshot? Snapshot { get; set; }

    /// <summary>The tenant lease ids the pool holds for each running job (see <see cref="TenantAdmission"/>).</summary>
    public Dictionary<long, List<string>>? TenantLeases { get; set; }
}
