namespace Quotas.Core.Scheduling;

/// <summary>Everything a <see cref="FairShareScheduler"/> needs to resume; round-trips through System.Text.Json.</summary>
public sealed record SchedulerSnapshot
{
    public required PoolConfig Pool { get; init; }

    /// <summary>Every job the pool knows, terminal ones included (they answer retried submissions).</summary>
    public required IReadOnlyList<JobInfo> Jobs { get; init; }

    public IReadOnlyList<TenantUsageSnapshot> Usage { get; init; } = [];

    public long NextJobId { get; init; } = 1;

    /// <summary>
    /// Running jobs marked for preemption whose worker has not yet been told (no heartbeat returned the mark): the
    /// pool may still take these marks back. A mark not listed counts as told, the safe side, as in a snapshot taken
    /// before this was kept or rebuilt from a store that keeps only the jobs.
    /// </summary>
    public IReadOnlyList<JobId> UndeliveredPreemptions { get; init; } = [];
}

/// <summary>
/// A tenant's counted usage and decayed history at <paramref name="HistoryAt"/>, and its tier as last reported
/// (<paramref name="Tier"/>, null when none was; snapshots from before tiers read null).
/// </summary>
public sealed record TenantUsageSnapshot(
    TenantId Tenant,
    long CompletedJobs,
    ResourceVector ReportedUsage,
    IReadOnlyDictionary<string, double> HistoryResourceSeconds,
    DateTimeOffset HistoryAt,
    string? Tier = null)
{
    /// <summary>
    /// True when it says nothing a tenant new to the pool would not (no completion, usage, history or tier): such a
    /// tenant is not kept in a snapshot, and its stored usage is removed.
    /// </summary>
    public bool SaysNothing() =>
        CompletedJobs == 0 && Tier is null && HistoryResourceSeconds.Values.All(seconds => seconds <= 0) && ReportedUsage.Entries.All(entry => entry.Value == 0);
}
