namespace Quotas.Client;

public enum JobState
{
    /// <summary>A value this SDK does not know, sent by a newer server; never sent.</summary>
    Unknown = -1,

    Queued,
    Leased,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
}

public enum JobOutcome
{
    Succeeded,
    Failed,
    Preempted,
}

public enum CompletionStatus
{
    /// <summary>A value this SDK does not know, sent by a newer server; never sent.</summary>
    Unknown = -1,

    Completed,
    AlreadyCompleted,
    Requeued,
    NotFound,

    /// <summary>A Preempted report from a worker that no longer holds the job's lease: nothing changed; drop the job.</summary>
    LeaseLost,
}

/// <summary>A job to submit: the resources it needs (e.g. <c>{"cpu": 500}</c>), its priority and an optional estimate.</summary>
public sealed record NewJob(IReadOnlyDictionary<string, long> Demand, int Priority = 0, TimeSpan? EstimatedDuration = null);

public sealed record Job(
    long Id,
    string Tenant,
    IReadOnlyDictionary<string, long> Demand,
    int Priority,
    string IdempotencyKey,
    TimeSpan? EstimatedDuration,
    JobState State,
    DateTimeOffset SubmittedAt,
    DateTimeOffset EnqueuedAt,
    int Attempts,
    string? WorkerId = null,
    DateTimeOffset? LeasedAt = null,
    DateTimeOffset? LeaseExpiresAt = null,
    bool PreemptionRequested = false,
    DateTimeOffset? CompletedAt = null,
    IReadOnlyDictionary<string, long>? ActualUsage = null,
    int Expiries = 0,
    DateTimeOffset? LeaseRenewedAt = null)
{
    /// <summary>
    /// What the job's preempted runs reported, added up; charged with the run that ends the job (its
    /// <see cref="ActualUsage"/> then includes it). Null when none reported usage.
    /// </summary>
    public IReadOnlyDictionary<string, long>? PreemptedUsage { get; init; }
}

/// <remarks>
/// <c>ResourceWeights</c>: a weight per resource (weighted DRF): the tenant's dominant share is the largest of its share
/// of each resource divided by that resource's weight; a resource not named weighs <c>Weight</c>.
/// </remarks>
public sealed record TenantShare(
    string Tenant,
    double Weight = 1,
    IReadOnlyDictionary<string, long>? Guaranteed = null,
    IReadOnlyDictionary<string, long>? BorrowingLimit = null,
    IReadOnlyDictionary<string, double>? ResourceWeights = null);

/// <summary>
/// The settings a pool gives the tenants of a tier (<c>basic</c>, <c>premium</c>, <c>enterprise</c>, <c>unlimited</c>)
/// that it does not list by name. A tier gives no guarantee: guarantees are given to tenants by name.
/// </summary>
public sealed record TierShare(
    string Tier,
    double Weight = 1,
    IReadOnlyDictionary<string, long>? BorrowingLimit = null);

/// <summary>A pool's configuration; unset fields take the server's defaults.</summary>
public sealed record Pool
{
    public required string Id { get; init; }

    public required IReadOnlyDictionary<string, long> Capacity { get; init; }

    public IReadOnlyDictionary<string, long>? Reserve { get; init; }

    public IReadOnlyList<TenantShare>? Tenants { get; init; }

    /// <summary>Settings per tenant tier for the tenants not in <see cref="Tenants"/>; the server's default is none.</summary>
    public IReadOnlyList<TierShare>? Tiers { get; init; }

    /// <summary>
    /// When true, only the tenants in <see cref="Tenants"/> may submit jobs; others get 403 with code
    /// <c>tenant_not_in_pool</c>. The server's default is false (any tenant may submit).
    /// </summary>
    public bool? ListedTenantsOnly { get; init; }

    public int? MaxQueuedJobsPerTenant { get; init; }

    public int? MaxQueuedJobsPerPool { get; init; }

    public double? AgingPerSecond { get; init; }

    public double? HistoryBlend { get; init; }

    public TimeSpan? UsageHalfLife { get; init; }

    public TimeSpan? FinishedJobRetention { get; init; }

    public int? MaxFinishedJobs { get; init; }

    public int? MaxAttempts { get; init; }

    /// <summary>
    /// How long the job first in the fair order may be passed over for lack of free capacity before the pool holds
    /// what frees for it. The server's default is 5 minutes; zero keeps the order strict.
    /// </summary>
    public TimeSpan? HoldCapacityAfter { get; init; }
}

/// <summary>
/// A tenant's standing in a pool. <c>WeightedShare</c> is its key in the fair order (its dominant share, blended with
/// decayed history when the pool says so, divided by its weight): the tenant with the least goes first. <c>Tier</c> is
/// the tenant's tier as the pool last learnt it (null before its first submission to a pool with tier settings).
/// </summary>
public sealed record PoolUsage(
    string Tenant,
    IReadOnlyDictionary<string, long> Allocated,
    int QueuedJobs,
    int LeasedJobs,
    long CompletedJobs,
    double WeightedShare,
    IReadOnlyDictionary<string, long> ReportedUsage,
    double Weight = 1,
    string? Tier = null);

public sealed record JobLease(long JobId, string Tenant, IReadOnlyDictionary<string, long> Demand, int Priority, DateTimeOffset ExpiresAt, int Attempt);

public sealed record HeartbeatResult(IReadOnlyList<long> Renewed, IReadOnlyList<long> Preempt, IReadOnlyList<long> Lost);

public sealed record CompleteResult(CompletionStatus Status, Job? Job);

public sealed record SiloInfo(string Address, string Status, int? Activations);
