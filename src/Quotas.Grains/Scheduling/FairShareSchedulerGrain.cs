using Grains;
using Microsoft.Extensions.Logging;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// Holds one pool's <see cref="FairShareScheduler"/>. Every change is stored before the call that made it is answered.
/// The grain is reentrant so that concurrent changes share one write (<see cref="GroupCommit"/>): each change is a
/// single synchronous step on the scheduler, so interleaving never splits one. Reads may see a change whose write is
/// still running; when a write fails, memory goes back to the last stored state and the changed calls fail.
/// The pool is stored as one entry per job (<see cref="PoolRecords"/>): a write stores what changed since the last
/// one, so its cost follows the calls it serves, not the depth of the queue.
/// </summary>
[Reentrant]
[GrainType(GrainTypeName)]
public sealed partial class FairShareSchedulerGrain : Grain, IFairShareSchedulerGrain
{
    /// <summary>The grain type's wire and storage name; pinned so that renaming the class breaks nothing.</summary>
    public const string GrainTypeName = "pool";

    // Job leases (job, attempt) of lease calls still storing them or asking their tenants, counted per call (a call
    // whose write failed may finish after another leased the job again at the same attempt): no worker has them yet,
    // so a cancel meanwhile charges nothing.
    private readonly Dictionary<(long Job, int Attempt), int> _admitting = [];

    /// <summary>Most jobs one lease call hands out (<see cref="LeaseJobs"/>).</summary>
    public const int MaxJobsPerLease = 1000;

    /// <summary>How often expired worker leases are looked for while the pool is active.</summary>
    internal static readonly TimeSpan LeaseSweepInterval = TimeSpan.FromSeconds(1);

    private readonly IPersistentEntries<PoolRecord> _entries;
    private readonly IPersistentState<LegacyPoolState> _legacy;
    private readonly TimeProvider _time;
    private readonly ILogger<FairShareSchedulerGrain> _logger;
    private readonly GroupCommit _commit;
    private readonly TenantAdmission _admission;
    private readonly TenantTiers _tiers;
    private readonly OwedUsage _owed = new();

    // Tenants deleted lately while this activation ran (RemoveTenant).
    private readonly RecentlyRemovedTenants _removedTenants = new();
    private FairShareScheduler? _scheduler;

    // Set when the scheduler was rebuilt rather than changed step by step: the next write compares every entry with
    // what is stored and writes the differences.
    private bool _rebuilt;

    // Counts the times memory went back to the stored state, so that a call that spans awaits learns its changes went.
    private int _restores;

    // When this activation began: running jobs have at least a whole lease from then (FairShareScheduler.ResumeLeases).
    private DateTimeOffset _activatedAt;

    // True while a delete runs: no call changes the pool; _retiring: the next write removes the pool's entries.
    private bool _deleting;
    private bool _retiring;

    public FairShareSchedulerGrain(
        [PersistentState("pool-entries")] IPersistentEntries<PoolRecord> entries,
        [PersistentState("pool")] IPersistentState<LegacyPoolState> legacy,
        TimeProvider time,
        ILogger<FairShareSchedulerGrain> logger)
    {
        _logger = logger;
        _entries = entries;
        _legacy = legacy;
        _time = time;
        _commit = new GroupCommit(WriteAsync, RestoreAfterFailedWrite);
        _admission = new TenantAdmission(GrainFactory, GetPrimaryKeyString(), time, job => PoolRecords.HeldForStoredRunningJob(entries.Entries, job));
        _tiers = new TenantTiers(GrainFactory, time);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = _time.GetUtcNow();
        RestoreStored();
        if (_legacy.State.Snapshot is { } legacy)
        {
            // A pool stored whole by an earlier version is moved into entries, and only into none: entries of any kind
            // (the pool moved by an activation that could not clear the old record, or deleted since) are newer than it,
            // and moved again it would bring a deleted pool back, with job ids from before the ones handed out since.
            // The old record is cleared whenever it is found. Read back from the entries, the moved pool also gives
            // back the tenant leases of jobs that had ended.
            if (_entries.Entries.Count == 0)
            {
                _admission.Restore(_legacy.State.TenantLeases);
                _scheduler = RestoreStoredPool(legacy);
                _rebuilt = true;
                await _commit.PersistAsync();
                RestoreStored();
            }

            await _legacy.ClearStateAsync(cancellationToken);
        }

        if (_scheduler is not null)
        {
            if (_scheduler.LeasedJobs > 0)
            {
                LogActivatedWithRunningJobs(_logger, GetPrimaryKeyString(), _scheduler.LeasedJobs);
            }

            await UpdateDirectoryAsync(listed: true);
            await TakeBackExpiredLeasesAsync();
        }
        else
        {
            // A create that failed after listing the pool, or a delete that failed before delisting it, left its id.
            await UpdateDirectoryAsync(listed: false);
        }

        RegisterGrainTimer(_ => ExpireLeasesAsync(), LeaseSweepInterval, LeaseSweepInterval);
        QuotaMetrics.PoolActivated(this);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        QuotaMetrics.PoolDeactivated(this);
        return Task.CompletedTask;
    }

    /// <summary>Read by the metrics from another thread: a moment's figure, never torn.</summary>
    internal int QueuedJobs => _scheduler?.QueuedJobs ?? 0;

    internal int RunningJobs => _scheduler?.LeasedJobs ?? 0;

    internal bool Exists => _scheduler is not null;

    public async Task<SubmitResult> Submit(SubmitJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        // The tenant's tier and status are asked (kept 5 s per tenant) before the change, which stays one synchronous step.
        // Refused at once for a pool that does not exist; read again after the wait, as a configuration replaced meanwhile
        // is the one the submission meets.
        Pool();
        var lookup = await _tiers.OfAsync(request.Tenant);
        var scheduler = Pool();
        if (lookup.Failure is { } failure && (NeedsTier(scheduler, request.Tenant) || _removedTenants.Contains(request.Tenant)))
        {
            throw new SchedulingException(
                SchedulingErrorCodes.TenantUnavailable,
                $"Pool '{GetPrimaryKeyString()}' could not read tenant '{request.Tenant}' ({failure.GetType().Name}), which it needs: for the tier's settings it gives the tenant, or because the tenant was deleted here lately and may be gone; retry the submission.");
        }

        // A deleted tenant (one that had a TenantGrain) is refused, also by a pool activated since: its jobs would run
        // on the pool's limits alone and be billed to no one. A tenant that never had one runs on them by design.
        if (lookup is { Known: true, Exists: false } && (lookup.Deleted || _removedTenants.Contains(request.Tenant)))
        {
            throw new SchedulingException(
                SchedulingErrorCodes.UnknownTenant,
                $"Tenant '{request.Tenant}' was deleted; create it again before submitting jobs for it.");
        }

        if (lookup is { Known: true, Exists: true })
        {
            _removedTenants.Remove(request.Tenant);
        }

        // A retry of a job submitted before the suspension still answers that job.
        if (lookup.Suspended && !Pool().HasJob(request.Tenant, request.IdempotencyKey, _time.GetUtcNow()))
        {
            throw new SchedulingException(
                SchedulingErrorCodes.TenantSuspended,
                $"Tenant '{request.Tenant}' is suspended and may not submit jobs; it may again once an administrator activates it.");
        }

        // A pool for listed tenants only has no tier settings (Configure refuses them): its tenants' tiers do not apply.
        var withTier = lookup.Known && !scheduler.Config.ListedTenantsOnly;
        return await MutateAsync(
            pool => withTier ? pool.Submit(request, lookup.Tier, _time.GetUtcNow()) : pool.Submit(request, _time.GetUtcNow()),
            result => result.Created);
    }

    /// <summary>
    /// Whether a submission must wait for the tenant's tier: the pool has tier settings, does not list the tenant, and
    /// has not learnt its tier before (otherwise the tier it knows applies). Without it the job would be checked
    /// against no limit and might never run once the tier is known.
    /// </summary>
    private static bool NeedsTier(FairShareScheduler scheduler, TenantId tenant) =>
        scheduler.Config.Tiers.Count > 0 && !scheduler.Lists(tenant) && scheduler.TierOf(tenant) is null;

    public Task<JobInfo?> GetJob(JobId id) => Task.FromResult(Pool().Get(id));

    public Task<JobPage> ListJobs(TenantId tenant, int pageSize, string? cursor) => Task.FromResult(Pool().List(tenant, pageSize, cursor));

    public Task<JobPage> ListPoolJobs(JobState? state, int pageSize, string? cursor) => Task.FromResult(Pool().ListJobs(state, pageSize, cursor));

    public Task<CompleteResult> Complete(JobId id, JobOutcome outcome, ResourceVector? actualUsage) =>
        CompleteReportedBy(null, id, outcome, actualUsage);

    /// <summary>
    /// Reports how a job ended. A completion is stored with the usage it owes its tenant before it is answered; the
    /// usage is then recorded and the tenant's leases released. When the tenant cannot be reached the report is still
    /// answered (it is stored) and the pool's sweep finishes the work; a retried report (answered AlreadyCompleted)
    /// tries to finish it at once, and is answered the same whether or not the tenant can be reached.
    /// </summary>
    public async Task<CompleteResult> CompleteReportedBy(string? workerId, JobId id, JobOutcome outcome, ResourceVector? actualUsage)
    {
        var result = await MutateAsync(
            scheduler =>
            {
                var result = scheduler.Complete(id, outcome, actualUsage, _time.GetUtcNow(), workerId);
                if (result is { Status: CompletionStatus.Completed, Job: { } completed } && _admission.MayCharge(completed.Tenant))
                {
                    _owed.Owe(completed);
                }

                // The lease ended and the job is queued again: its tenant leases are set apart in the same step, as the
                // sweep does for an expired lease, for the settling below to release; the job may be leased again before
                // that runs, and then holds leases of its own.
                if (result is { Status: CompletionStatus.Requeued, Job: { } ended })
                {
                    _admission.ReleaseLater(ended.Id, ended.Tenant);
                }

                return result;
            },
            result => result.Status is CompletionStatus.Completed or CompletionStatus.Requeued);
        if (result.Job is { } job && result.Status is CompletionStatus.Completed or CompletionStatus.Requeued or CompletionStatus.AlreadyCompleted)
        {
            try
            {
                await SettleBeforeAnswerAsync(job.Id, job.Tenant);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The report itself is stored, and what it owes the tenant with it: the sweep finishes the rest.
                LogSettleFailed(_logger, e, GetPrimaryKeyString(), job.Id.Value);
            }
        }

        return result;
    }

    public Task<TenantUsage> GetTenantUsage(TenantId tenant) => Task.FromResult(Pool().GetTenantUsage(tenant));

    public Task<int> GetQueuedJobs() => Task.FromResult(Pool().QueuedJobs);

    public Task<TenantUsagePage> ListTenantUsage(int pageSize, string? cursor) => Task.FromResult(Pool().ListTenantUsage(pageSize, cursor));

    /// <summary>
    /// Runs a change in one synchronous step and, when <paramref name="changed"/> says the state moved, waits for its
    /// write. When it did not, the answer may still come from a change another call made whose write has not ended (a
    /// retried submission answering the job the first one created, a completion answered "already completed"): it
    /// waits for that write too, so that nothing is acknowledged before it is stored.
    /// </summary>
    private async Task<T> MutateAsync<T>(Func<FairShareScheduler, T> change, Func<T, bool> changed)
    {
        if (_deleting)
        {
            throw new SchedulingException(SchedulingErrorCodes.PoolBeingDeleted, $"Pool '{GetPrimaryKeyString()}' is being deleted; its jobs can no longer change.");
        }

        var result = change(Pool());
        await (changed(result) ? _commit.PersistAsync() : _commit.SettledAsync());
        return result;
    }

    /// <summary>Stores what changed since the last write (after a rebuild: what differs from the stored entries), in one transaction.</summary>
    private async Task WriteAsync()
    {
        if (_scheduler is not { } scheduler)
        {
            return;
        }

        if (_retiring)
        {
            // Deleting: every entry goes but the sequence and the deletion time, so that a pool created again under this
            // id numbers on and does not take what was recorded for this one.
            await _entries.WriteAsync(PoolRecords.Retired(_entries.Entries, scheduler.NextJobId, _time.GetUtcNow()));
            return;
        }

        var changes = new List<KeyValuePair<string, PoolRecord?>>();
        List<long> owedWritten = [];
        if (_rebuilt)
        {
            _rebuilt = false;
            scheduler.TakeChanges();
            _admission.TakeChanges();
            _admission.SetApart.TakeChanges();
            owedWritten = [.. _owed.TakeChanges().Select(change => change.Job)];
            _admission.BudgetWaits.TakeChanges();
            PoolRecords.AddDifferences(changes, PoolRecords.All(
                scheduler.ToSnapshot(), _admission.Snapshot(), _admission.SetApart.Snapshot(), _owed.Snapshot(), _admission.BudgetWaits.Snapshot()), _entries.Entries);
        }
        else
        {
            PoolRecords.AddChanges(changes, scheduler.TakeChanges(), _entries.Entries);
            foreach (var (job, held) in _admission.TakeChanges())
            {
                PoolRecords.AddTenantLeases(changes, job, held);
            }

            foreach (var (job, left) in _admission.SetApart.TakeChanges())
            {
                PoolRecords.AddUnreleased(changes, job, left);
            }

            foreach (var (job, owed) in _owed.TakeChanges())
            {
                PoolRecords.AddOwed(changes, job, owed);
                owedWritten.Add(job);
            }

            foreach (var (tenant, wait) in _admission.BudgetWaits.TakeChanges())
            {
                PoolRecords.AddBudgetWait(changes, tenant, wait);
            }
        }

        // A call that changed nothing stored (a lease that found no job) costs no round trip.
        if (changes.Count > 0)
        {
            await _entries.WriteAsync(changes);
        }

        _owed.Stored(owedWritten);
    }

    /// <summary>
    /// After a failed write: memory goes back to the stored entries, or, when they cannot be read back, the activation
    /// goes (memory is then in no known state), and the next call activates the pool afresh and meets the error there.
    /// </summary>
    private void RestoreAfterFailedWrite()
    {
        try
        {
            RestoreStored();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>Puts memory back to the stored entries: on activation, and when a write failed.</summary>
    private void RestoreStored()
    {
        _restores++;
        StoredPool stored;
        try
        {
            stored = PoolRecords.Read(_entries.Entries);
        }
        catch (SchedulingException exception)
        {
            throw RefusedState.Of("pool", GrainTypeName, GetPrimaryKeyString(), exception);
        }

        // The waits before the pool: rebuilding it evaluates reclaim, which takes no tenant a budget holds back for one
        // that may run.
        _admission.BudgetWaits.Restore(stored.BudgetWaits);
        var scheduler = stored.Snapshot is null ? null : RestoreStoredPool(stored.Snapshot); // it may refuse
        _admission.Restore(stored.TenantLeases, stored.Unreleased);
        _owed.Restore(stored.Owed);
        _scheduler = scheduler;
        _rebuilt = false;

        // Leases held for a job whose lease has ended (a crash or a failed write came before their release) go back,
        // also for a job the pool has forgotten since (it keeps no finished jobs): their tenant is in their ids.
        foreach (var job in _admission.HeldJobs.ToList())
        {
            switch (_scheduler?.Get(new JobId(job)))
            {
                case { State: not JobState.Leased } ended:
                    _admission.ReleaseLater(ended.Id, ended.Tenant);
                    break;
                case null when _scheduler is not null && _admission.TenantOfHeld(job) is { } tenant:
                    _admission.ReleaseLater(new JobId(job), tenant);
                    break;
            }
        }
    }

    /// <summary>The pool its stored records describe; records this release refuses fail as unreadable state (<see cref="RefusedState"/>).</summary>
    private FairShareScheduler RestoreStoredPool(SchedulerSnapshot snapshot)
    {
        FairShareScheduler pool;
        try
        {
            pool = Restore(snapshot);
        }
        catch (SchedulingException exception)
        {
            throw RefusedState.Of("pool", GrainTypeName, GetPrimaryKeyString(), exception);
        }

        // No heartbeat could reach the pool while it was not active: its leases run a whole lease from the activation,
        // also when memory is read back after a failed write (the extension is not stored until the job next is).
        pool.ResumeLeases(_activatedAt);
        return pool;
    }

    private FairShareScheduler Restore(SchedulerSnapshot snapshot) =>
        FairShareScheduler.FromSnapshot(snapshot, (tenant, _) => _admission.MayTry(tenant), trackChanges: true);

    /// <summary>
    /// Puts the pool's id in the pool directory, or takes it out, as the stored pool says: pools stored before the
    /// directory existed join it when next activated, and ids left by a failed create or delete go. For the others this
    /// changes nothing. Best effort: the directory serves the pool list only, and a pool must not fail to activate for it.
    /// </summary>
    private async Task UpdateDirectoryAsync(bool listed)
    {
        try
        {
            await (listed ? Directory().Add(GetPrimaryKeyString()) : Directory().Remove(GetPrimaryKeyString()));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogDirectoryUnavailable(_logger, e, GetPrimaryKeyString());
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pool {Pool} activated with {Running} running jobs; each has a whole lease from now for its worker's next heartbeat, but those whose workers were told to stop them")]
    private static partial void LogActivatedWithRunningJobs(ILogger logger, string pool, int running);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool {Pool} could not update its entry in the pool directory; the pool list may be wrong about it until the pool is next activated")]
    private static partial void LogDirectoryUnavailable(ILogger logger, Exception exception, string pool);

    private ITenantDirectoryGrain Directory() => GrainFactory.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.PoolsKey);

    private FairShareScheduler Pool() =>
        _scheduler ?? throw new SchedulingException(SchedulingErrorCodes.UnknownPool, $"Pool '{GetPrimaryKeyString()}' does not exist; create it with its capacity first.");
}
