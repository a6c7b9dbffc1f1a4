namespace Quotas.Core.Scheduling;

/// <summary>
/// A pool's capacity and policy. Tenants not listed get their tier's settings from the pool's tiers, or else weight 1,
/// no guarantee, no borrowing limit; they may submit jobs unless the pool admits listed tenants only.
/// </summary>
public sealed record PoolConfig
{
    public required string Id { get; init; }

    /// <summary>Capacity per resource; it also fixes the resources the pool knows.</summary>
    public required ResourceVector Capacity { get; init; }

    /// <summary>Capacity that borrowing may not take, kept free for tenants within their guarantee. Default none.</summary>
    public ResourceVector Reserve { get; init; } = ResourceVector.Empty;

    public IReadOnlyList<TenantShare> Tenants { get; init; } = [];

    /// <summary>
    /// Settings per tenant tier for the tenants the pool does not list in its tenants, e.g. a weight of 2 for every
    /// premium tenant. A tenant neither listed nor of a tier listed here gets weight 1 and no borrowing limit. Default none.
    /// </summary>
    public IReadOnlyList<TierShare> Tiers { get; init; } = [];

    /// <summary>
    /// Whether only the tenants listed in the pool's tenants may submit jobs; others are refused with the code
    /// <c>tenant_not_in_pool</c>. Taking a tenant off the list stops its new submissions only: its queued and running
    /// jobs stay and run, and workers lease them as before. Default false: any tenant may submit.
    /// </summary>
    public bool ListedTenantsOnly { get; init; }

    /// <summary>Default 10,000.</summary>
    public int MaxQueuedJobsPerTenant { get; init; } = 10_000;

    /// <summary>Default 1,000,000.</summary>
    public int MaxQueuedJobsPerPool { get; init; } = 1_000_000;

    /// <summary>Priority points a queued job gains per second of waiting. Default 1/60 (one per minute); 0 turns aging off.</summary>
    public double AgingPerSecond { get; init; } = 1.0 / 60;

    /// <summary>Weight of decayed historical usage in the fair order, 0 to 1. Default 0 (current allocation only).</summary>
    public double HistoryBlend { get; init; }

    /// <summary>Half-life of historical usage. Default one hour.</summary>
    public TimeSpan UsageHalfLife { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a finished (succeeded, failed, cancelled, expired) job stays known after it ends: within this window
    /// <see cref="FairShareScheduler.Get"/> finds it and a retried submission with its idempotency key returns it.
    /// After that (or sooner, see <see cref="MaxFinishedJobs"/>) it is forgotten and the same key creates a new job.
    /// Default one hour.
    /// </summary>
    public TimeSpan FinishedJobRetention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// At most this many finished jobs are kept (oldest finished forgotten first), so memory and snapshots stay
    /// bounded however fast jobs finish. Default 100,000.
    /// </summary>
    public int MaxFinishedJobs { get; init; } = 100_000;

    /// <summary>
    /// Leases a job may lose by expiry: when it has lost this many it ends <see cref="JobState.Expired"/> instead of
    /// being queued again. Leases given back by preemption or a tenant's quota refusal do not count. Default 5.
    /// </summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>
    /// How long the job first in the fair order may wait for lack of free capacity while other tenants' jobs that fit
    /// take what frees, before the pool holds free capacity for it: from then on no other tenant's job borrows what it
    /// still needs (a tenant within its guarantee still takes its own), so a large job is not starved by a stream of
    /// small ones. Default 5 minutes; 0 holds at once
    /// (strict order); a long time lets jobs that fit go first for longer.
    /// </summary>
    public TimeSpan HoldCapacityAfter { get; init; } = TimeSpan.FromMinutes(5);
}
