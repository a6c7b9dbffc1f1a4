using Grains;
using Quotas.Contracts;
using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// Holds one pool's <see cref="FairShareScheduler"/>. Every change is persisted before the call returns; when the write
/// fails, the scheduler is rebuilt from the last persisted state, so memory never runs ahead of storage and a caller
/// never sees an acknowledgement that a crash could take back.
/// </summary>
[GrainType(GrainTypeName)]
public sealed class FairShareSchedulerGrain(
    [PersistentState("pool")] IPersistentState<PoolState> state,
    TimeProvider time) : Grain, IFairShareSchedulerGrain
{
    /// <summary>The grain type's wire and storage name; pinned so that renaming the class breaks nothing.</summary>
    public const string GrainTypeName = "pool";

    /// <summary>How often expired worker leases are looked for while the pool is active.</summary>
    internal static readonly TimeSpan LeaseSweepInterval = TimeSpan.FromSeconds(1);

    private FairShareScheduler? _scheduler;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Snapshot is { } snapshot)
        {
            _scheduler = FairShareScheduler.FromSnapshot(snapshot);
            await ExpireLeasesAsync();
        }

        RegisterGrainTimer(_ => ExpireLeasesAsync(), LeaseSweepInterval, LeaseSweepInterval);
    }

    public async Task<PoolConfig> Configure(PoolConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Id != GetPrimaryKeyString())
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidPoolConfig, $"The configuration names pool '{config.Id}' but was sent to pool '{GetPrimaryKeyString()}'; send it to its own pool.");
        }

        var now = time.GetUtcNow();
        if (_scheduler is null)
        {
            await CommitAsync(new FairShareScheduler(config));
        }
        else
        {
            // Rebuilt with the new configuration, then re-balanced against the new capacity at once.
            var next = FairShareScheduler.FromSnapshot(_scheduler.ToSnapshot() with { Pool = config });
            next.UpdateCapacity(config.Capacity, now);
            await CommitAsync(next);
        }

        return _scheduler!.Config;
    }

    public Task<PoolConfig?> GetConfig() => Task.FromResult(_scheduler?.Config);

    public async Task Delete(bool force)
    {
        var scheduler = Pool();
        if (!force && scheduler.QueuedJobs + scheduler.LeasedJobs > 0)
        {
            throw new SchedulingException(SchedulingErrorCodes.PoolNotEmpty, $"Pool '{GetPrimaryKeyString()}' still has {scheduler.QueuedJobs} queued and {scheduler.LeasedJobs} running jobs; cancel them or delete with force.");
        }

        await state.ClearStateAsync();
        _scheduler = null;
    }

    public Task<SubmitResult> Submit(SubmitJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return MutateAsync(scheduler => scheduler.Submit(request, time.GetUtcNow()), result => result.Created);
    }

    public Task<JobInfo?> GetJob(JobId id) => Task.FromResult(Pool().Get(id));

    public Task<CancelStatus> Cancel(JobId id) =>
        MutateAsync(scheduler => scheduler.Cancel(id, time.GetUtcNow()), status => status == CancelStatus.Cancelled);

    public Task<JobPage> ListJobs(TenantId tenant, int pageSize, string? cursor) => Task.FromResult(Pool().List(tenant, pageSize, cursor));

    public Task<IReadOnlyList<JobLease>> LeaseJobs(string workerId, ResourceVector freeCapacity, TimeSpan leaseTtl, int maxJobs) =>
        MutateAsync(scheduler => scheduler.LeaseJobs(workerId, freeCapacity, leaseTtl, time.GetUtcNow(), maxJobs), leases => leases.Count > 0);

    public Task<HeartbeatResult> Heartbeat(string workerId, IReadOnlyList<JobId> jobIds, TimeSpan leaseTtl)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        return MutateAsync(scheduler => scheduler.Heartbeat(workerId, jobIds, leaseTtl, time.GetUtcNow()), result => result.Renewed.Count > 0);
    }

    public Task<CompleteResult> Complete(JobId id, JobOutcome outcome, ResourceVector? actualUsage) =>
        MutateAsync(scheduler => scheduler.Complete(id, outcome, actualUsage, time.GetUtcNow()), result => result.Status is CompletionStatus.Completed or CompletionStatus.Requeued);

    public Task<TenantUsage> GetTenantUsage(TenantId tenant) => Task.FromResult(Pool().GetTenantUsage(tenant));

    private async Task ExpireLeasesAsync()
    {
        if (_scheduler is not null)
        {
            await MutateAsync(scheduler => scheduler.ExpireLeases(time.GetUtcNow()), expired => expired.Count > 0);
        }
    }

    /// <summary>Runs a change and persists it when <paramref name="changed"/> says the state moved.</summary>
    private async Task<T> MutateAsync<T>(Func<FairShareScheduler, T> change, Func<T, bool> changed)
    {
        var scheduler = Pool();
        var result = change(scheduler);
        if (changed(result))
        {
            await CommitAsync(scheduler);
        }

        return result;
    }

    private async Task CommitAsync(FairShareScheduler scheduler)
    {
        var previous = state.State.Snapshot;
        state.State.Snapshot = scheduler.ToSnapshot();
        try
        {
            await state.WriteStateAsync();
            _scheduler = scheduler;
        }
        catch
        {
            state.State.Snapshot = previous;
            _scheduler = previous is null ? null : FairShareScheduler.FromSnapshot(previous);
            throw;
        }
    }

    private FairShareScheduler Pool() =>
        _scheduler ?? throw new SchedulingException(SchedulingErrorCodes.UnknownPool, $"Pool '{GetPrimaryKeyString()}' does not exist; create it with its capacity first.");
}
