namespace Quotas.Core.Scheduling;

/// <summary>
/// What changed in a pool since the previous <see cref="FairShareScheduler.TakeChanges"/>: what an owner that stores
/// the pool piece by piece must write so that the stored pool equals the one in memory.
/// </summary>
/// <param name="PoolChanged">True when the configuration changed (or was never taken).</param>
/// <param name="Pool">The configuration; to be stored when <paramref name="PoolChanged"/>.</param>
/// <param name="NextJobId">The id the next submitted job gets; ids are never reused, even after jobs are forgotten.</param>
/// <param name="Jobs">Jobs created or changed, as they are now.</param>
/// <param name="Forgotten">Finished jobs dropped after their retention.</param>
/// <param name="Usage">Tenants whose counted usage changed, as it is now.</param>
/// <param name="UndeliveredPreemptions">
/// The jobs among <paramref name="Jobs"/> marked for preemption whose worker has not been told yet (see
/// <see cref="SchedulerSnapshot.UndeliveredPreemptions"/>); null or empty when none.
/// </param>
public sealed record SchedulerChanges(
    bool PoolChanged,
    PoolConfig Pool,
    long NextJobId,
    IReadOnlyList<JobInfo> Jobs,
    IReadOnlyList<JobId> Forgotten,
    IReadOnlyList<TenantUsageSnapshot> Usage,
    IReadOnlyList<JobId>? UndeliveredPreemptions = null);
