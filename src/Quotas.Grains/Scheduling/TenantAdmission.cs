using Grains;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// The pool's side of the tenants' quotas. Before a leased job is handed to a worker, the tenant's TenantGrain grants
/// a lease for every gauge quota the job's demand names (and one <c>concurrent_jobs</c>), all or nothing; the pool holds
/// those leases while the job runs, renews them with the worker's heartbeats and releases them when the job ends, is
/// requeued or cancelled. Before that, the job's limited budgets must have room (<see cref="BudgetNeeds"/>): a job
/// does not start on a budget that its period has used up, as a batch scheduler holds jobs past their account's usage
/// limit. A tenant that refuses is skipped by the fair order until its retry-after has passed (a suspended one, or one
/// a budget refuses, until a recheck finds it may run: <see cref="BudgetWaits"/>). On
/// completion the actual usage is recorded once in the tenant's budgets whose names it carries, plus one <c>jobs</c>.
/// Jobs of a tenant that has no TenantGrain are admitted on the pool's own limits.
/// </summary>
/// <param name="grains">Reaches the tenants.</param>
/// <param name="poolId">The pool's id, in the keys of the tenant leases it takes.</param>
/// <param name="time">The pool's clock.</param>
/// <param name="heldInStorage">
/// The tenant leases storage holds for a job it has running (its lease not ended there): none of them is released,
/// even when memory has set them apart, since a failed write would put the job back running on them.
/// </param>
internal sealed partial class TenantAdmission(IGrainFactory grains, string poolId, TimeProvider time, Func<long, IReadOnlyCollection<string>>? heldInStorage = null)
{
    public const string ConcurrentJobsQuota = "concurrent_jobs";

    /// <summary>How long the quota names of a tenant are reused before they are asked again.</summary>
    private static readonly TimeSpan s_quotaNamesLifetime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_minBlock = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxBlock = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, DateTimeOffset> _blockedUntil = new(StringComparer.Ordinal);
    private readonly BudgetWaits _budgetWaits = new(time, s_maxBlock);
    private readonly TenantReadCache<TenantQuotaNames?> _names = new(time, s_quotaNamesLifetime);
    private Dictionary<long, List<string>> _held = [];

    private readonly HashSet<long> _changed = [];

    /// <summary>The quota check the pure scheduler asks: false while the tenant's last refusal is fresh.</summary>
    public bool MayTry(Core.Scheduling.TenantId tenant)
    {
        var now = time.GetUtcNow();
        return (!_blockedUntil.TryGetValue(tenant.Value, out var until) || until <= now)
            && !_budgetWaits.Holds(tenant.Value);
    }

    /// <summary>Asks again the budgets that hold tenants back (<see cref="BudgetWaits"/>); run by the pool's sweep.</summary>
    public Task RecheckBudgetsAsync(Func<JobId, bool> queued) =>
        _budgetWaits.RecheckAsync(queued, (tenant, wait) => wait.Suspended ? CheckActiveAsync(Tenant(new(tenant))) : CheckBudgetAsync(Tenant(new(tenant)), wait.Quota, wait.Amount));

    /// <summary>Tenant leases set apart for release, stored with the pool (see <see cref="SetApartLeases"/>).</summary>
    public SetApartLeases SetApart { get; } = new();

    /// <summary>The tenants budgets hold back, stored with the pool (see <see cref="BudgetWaits"/>).</summary>
    public BudgetWaits BudgetWaits => _budgetWaits;

    /// <summary>Tenant leases asked for without an answer, which the sweep takes back (see <see cref="UnansweredAcquires"/>).</summary>
    public UnansweredAcquires Unanswered { get; } = new(time);

    /// <summary>Takes back the tenant leases that may have been granted to acquisitions whose answer never came; run by the pool's sweep.</summary>
    public Task UndoUnansweredAsync() => Unanswered.UndoAsync(Tenant);

    /// <summary>Tenant lease ids held per job: persisted with the pool, so a restarted pool still releases them.</summary>
    public Dictionary<long, List<string>> Snapshot() => _held.ToDictionary(p => p.Key, p => p.Value.ToList());

    public bool Holds(JobId job) => _held.ContainsKey(job.Value);

    /// <summary>Whether exactly <paramref name="leases"/> are held for the job (stored already, say).</summary>
    public bool HoldsExactly(JobId job, List<string> leases) => _held.TryGetValue(job.Value, out var held) && held.SequenceEqual(leases);

    /// <summary>
    /// Puts the leases held and those left to release back as stored (<paramref name="held"/> null: the pool is gone),
    /// on activation and after a failed write.
    /// </summary>
    public void Restore(Dictionary<long, List<string>>? held, IReadOnlyDictionary<long, UnreleasedLeases>? unreleased = null)
    {
        _held = held?.ToDictionary(p => p.Key, p => p.Value.ToList()) ?? [];
        _changed.Clear();

        // Leases set apart for release stay so when memory goes back to storage after a failed write: they belong to
        // leases that ended, and releasing them again is harmless. Only a pool that is gone (null) lets them go, and
        // storage keeps those it still holds for a job: the failed write was the one that ended the job's lease, which
        // runs again as stored (a heartbeat may renew it), and releasing them would leave it running with nothing counted.
        if (held is null)
        {
            SetApart.Clear();
            return;
        }

        foreach (var job in SetApart.Jobs.ToList())
        {
            if (_held.TryGetValue(job, out var again))
            {
                SetApart.Remove(job, again);
            }
        }

        SetApart.Restore(unreleased);
    }

    /// <summary>The jobs holding tenant leases.</summary>
    public IReadOnlyCollection<long> HeldJobs => _held.Keys;

    /// <summary>
    /// The tenant of the leases held for <paramref name="job"/>, read from their ids: for a job the pool has already
    /// forgotten (it keeps no finished jobs), whose leases must still go back. Null when nothing is held.
    /// </summary>
    public Core.Scheduling.TenantId? TenantOfHeld(long job) =>
        _held.TryGetValue(job, out var held) && held.Count > 0 && LeaseIds.TenantOf(held[0]) is { } tenant
            ? new Core.Scheduling.TenantId(tenant)
            : null;

    /// <summary>The jobs whose held leases changed since the last call, with what they hold now (null: nothing).</summary>
    public List<(long Job, List<string>? Held)> TakeChanges()
    {
        var changes = new List<(long, List<string>?)>(_changed.Count);
        foreach (var job in _changed)
        {
            changes.Add((job, _held.TryGetValue(job, out var held) ? [.. held] : null));
        }

        _changed.Clear();
        return changes;
    }

    /// <summary>
    /// Takes the tenant's leases for a job's lease: their ids (none when the tenant limits nothing the job needs), or
    /// null, holding nothing, when the tenant refuses. The caller holds them (<see cref="Hold"/>) once it knows the
    /// job is still leased as asked, or gives them back (<see cref="ReleaseAsync(Core.Scheduling.TenantId, List{string})"/>).
    /// </summary>
    public async Task<List<string>?> AcquireAsync(JobLease lease, TimeSpan ttl)
    {
        var tenant = Tenant(lease.Tenant);
        TenantQuotaNames? names;
        try
        {
            names = await NamesAsync(lease.Tenant.Value, tenant);
        }
        catch
        {
            // Not asked again for the rest of the lease call (nor for a second), as after a failed acquisition.
            Block(lease.Tenant.Value, s_minBlock);
            throw;
        }

        if (names is null)
        {
            return [];
        }

        await ReleaseSetApartAsync(lease.Tenant);

        foreach (var (quota, amount) in BudgetNeeds(lease.Demand, names))
        {
            AdmissionDecision room;
            try
            {
                room = await CheckBudgetAsync(tenant, quota, amount);
            }
            catch
            {
                Block(lease.Tenant.Value, s_minBlock);
                throw;
            }

            if (!room.IsAllowed)
            {
                _budgetWaits.Refused(lease.Tenant.Value, lease.JobId, quota, amount, room);
                return null;
            }
        }

        var held = new List<string>();
        foreach (var (quota, amount) in Needs(lease.Demand, names))
        {
            AdmissionDecision decision;
            var key = $"{TenantQuotas.PoolJobKeyPrefix}{poolId}/{lease.JobId}/{lease.Attempt}/{quota}";
            try
            {
                decision = await Bounded(tenant.Acquire(quota, amount, ttl, key));
            }
            catch (Exception e) when (e is not QuotaValidationException)
            {
                // No answer: the tenant may have granted it all the same (see UnansweredAcquires).
                Unanswered.Add(lease.Tenant, quota, amount, ttl, key);
                Block(lease.Tenant.Value, s_minBlock);
                await GiveBackAsync(lease, tenant, held);
                throw;
            }
            catch
            {
                Block(lease.Tenant.Value, s_minBlock);
                await GiveBackAsync(lease, tenant, held);
                throw;
            }

            if (decision is AdmissionDecision.Allow { LeaseId: { } leaseId })
            {
                held.Add(leaseId);
                continue;
            }

            await GiveBackAsync(lease, tenant, held);
            if (decision is AdmissionDecision.Deny { ReasonCode: ReasonCodes.TenantSuspended })
            {
                _budgetWaits.Refused(lease.Tenant.Value, lease.JobId, quota, amount, decision);
                return null;
            }

            Block(lease.Tenant.Value, decision switch
            {
                AdmissionDecision.Queue q => q.RetryAfter,
                AdmissionDecision.Deny { RetryAfter: { } wait } => wait,
                _ => s_maxBlock,
            });
            return null;
        }

        return held;
    }

    /// <summary>
    /// Holds the tenant leases just acquired for a job that is still leased; stored with the pool's next write. Leases
    /// still held for an earlier lease of the job (it ended, and was leased again before their release) are released
    /// later rather than forgotten.
    /// </summary>
    public void Hold(JobLease lease, List<string> held)
    {
        if (held.Count == 0)
        {
            return;
        }

        if (_held.Remove(lease.JobId.Value, out var earlier))
        {
            SetApart.Add(lease.JobId.Value, lease.Tenant, earlier);
        }

        // A lease held again (a tenant answers a repeated acquisition with the lease it gave) is no longer to release.
        SetApart.Remove(lease.JobId.Value, held);
        _held[lease.JobId.Value] = held;
        _changed.Add(lease.JobId.Value);
    }

    /// <summary>Gives back tenant leases acquired for a job lease that ended meanwhile (never held for the job).</summary>
    public async Task ReleaseAsync(Core.Scheduling.TenantId tenantId, List<string> leaseIds)
    {
        try
        {
            await ReleaseAllAsync(Tenant(tenantId), leaseIds);
        }
        catch (QuotaValidationException e) when (e.Code == Tenants.TenantErrors.UnknownTenant)
        {
        }
    }

    /// <summary>
    /// Renews the tenant leases held for a job; false when the tenant refused one (a soft quota past its grace, or a
    /// lease it no longer knows), so the job no longer runs under its tenant's quota.
    /// </summary>
    public async Task<bool> RenewAsync(JobId job, Core.Scheduling.TenantId tenantId, TimeSpan ttl)
    {
        if (!_held.TryGetValue(job.Value, out var held))
        {
            return true;
        }

        var tenant = Tenant(tenantId);
        try
        {
            var renewed = true;
            foreach (var leaseId in held)
            {
                renewed &= (await Bounded(tenant.Renew(leaseId, ttl))).Renewed;
            }

            return renewed;
        }
        catch (QuotaValidationException e) when (e.Code == Tenants.TenantErrors.UnknownTenant)
        {
            // A deleted tenant holds nothing to renew (its pools forget its jobs); the heartbeat goes on for the others.
            return true;
        }
    }

    /// <summary>
    /// Releases the tenant leases held for a job (its lease ended in stored state: completed, requeued, cancelled,
    /// expired). They stop being held for the job at once, so a new lease of the job holds its own, and are set apart
    /// in the same step until the tenant has released them: a write another call makes meanwhile stores them as
    /// unreleased instead of dropping them with the job's held leases, so a crash before the release loses none. Those
    /// the tenant could not release stay set apart (<see cref="RetryReleasesAsync"/>) and the failure is thrown. A
    /// release is idempotent at the tenant; a tenant that no longer exists holds nothing.
    /// </summary>
    public async Task ReleaseAsync(JobId job, Core.Scheduling.TenantId tenantId)
    {
        if (_held.Remove(job.Value, out var held))
        {
            _changed.Add(job.Value);
            SetApart.Add(job.Value, tenantId, held);
            await ReleaseAsync(tenantId, held);
            SetApart.Remove(job.Value, held);
        }
    }

    /// <summary>
    /// Releases what is set apart for this job, but leases storage still holds for it running (the write that ended its
    /// lease has not been stored yet); the failure is thrown. They stay set apart, as stored, until the release has
    /// succeeded: a write made meanwhile keeps them, and a release that fails needs no write to be tried again.
    /// </summary>
    public async Task RetryReleasesAsync(JobId job)
    {
        if (!SetApart.TryGet(job.Value, out var pending))
        {
            return;
        }

        var stillHeld = heldInStorage?.Invoke(job.Value) ?? [];
        var releasing = pending.LeaseIds.Where(lease => !stillHeld.Contains(lease)).ToList();
        if (releasing.Count == 0)
        {
            return;
        }

        await ReleaseAsync(pending.Tenant, releasing);
        SetApart.Remove(job.Value, releasing);
    }

    /// <summary>
    /// Releases what is still set apart for the tenant's jobs (leases of attempts that ended, whose release has not run
    /// yet or failed) before the tenant is asked for more: it would count them against the new lease, and its refusal
    /// would hold all the tenant's jobs back for up to 30 s (a job requeued by its worker and leased again at once, say).
    /// One that fails again stays set apart for the sweep, and its failure is the acquisition's, as the tenant that could
    /// not release would not grant either: the lease is not asked for, so an unreachable tenant costs one wait, not two.
    /// </summary>
    private async Task ReleaseSetApartAsync(Core.Scheduling.TenantId tenant)
    {
        foreach (var job in SetApart.JobsOf(tenant))
        {
            try
            {
                await RetryReleasesAsync(new JobId(job));
            }
            catch
            {
                Block(tenant.Value, s_minBlock);
                throw;
            }
        }
    }

    /// <summary>Forgets the leases held or left for a job without releasing them: its tenant was deleted, with its leases.</summary>
    public void Drop(JobId job)
    {
        SetApart.Drop(job.Value);
        if (_held.Remove(job.Value))
        {
            _changed.Add(job.Value);
        }
    }

    /// <summary>
    /// Treats the leases held for jobs whose lease has ended in stored state as not yet released: on activation (a crash
    /// may have come between the end and the release) and after a failed write put memory back.
    /// </summary>
    public void ReleaseLater(JobId job, Core.Scheduling.TenantId tenantId)
    {
        if (_held.Remove(job.Value, out var held))
        {
            _changed.Add(job.Value);
            SetApart.Add(job.Value, tenantId, held);
        }
    }

    /// <summary>Forgets what holds a tenant back, for a tenant removed from the pool (deleted, perhaps to be created again).</summary>
    public void Forget(Core.Scheduling.TenantId tenant)
    {
        _budgetWaits.Forget(tenant.Value);
        _blockedUntil.Remove(tenant.Value);
        _names.Forget(tenant.Value);
    }

    /// <summary>A tenant on a silo of an earlier release does not know CheckBudget: its budgets hold no job back, as before.</summary>
    private async Task<AdmissionDecision> CheckBudgetAsync(ITenantGrain tenant, string quota, long amount)
    {
        try
        {
            return await Bounded(tenant.CheckBudget(quota, amount, countAsViolation: false));
        }
        catch (NotSupportedException)
        {
            return new AdmissionDecision.Allow(null, null, long.MaxValue);
        }
    }

    /// <summary>
    /// A suspension wait's recheck: refused as suspended while the tenant or an ancestor of it is (a suspended parent
    /// that caps a gauge refuses its children's leases too), allowed once none is.
    /// </summary>
    private async Task<AdmissionDecision> CheckActiveAsync(ITenantGrain tenant)
    {
        for (var depth = 0; depth <= TenantHierarchy.MaxDepth; depth++)
        {
            var config = await Bounded(tenant.GetConfig());
            if (config.Status == TenantStatus.Suspended)
            {
                return new AdmissionDecision.Deny(ReasonCodes.TenantSuspended, "", 0, 0, null);
            }

            if (config.ParentId is not { } parent)
            {
                break;
            }

            tenant = grains.GetGrain<ITenantGrain>(parent.Value);
        }

        return new AdmissionDecision.Allow(null, null, long.MaxValue);
    }

    /// <summary>
    /// Gives back what the tenant granted for a job lease it then refused (or could not answer) in part. Never throws:
    /// leases the tenant could not release are set apart for the sweep, as those of an ended lease are. Recorded nowhere,
    /// they stayed held at the tenant until they expired (twice the worker's lease), for a job that never ran.
    /// </summary>
    private async Task GiveBackAsync(JobLease lease, ITenantGrain tenant, List<string> granted)
    {
        try
        {
            await ReleaseAllAsync(tenant, granted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            SetApart.Add(lease.JobId.Value, lease.Tenant, granted);
        }
    }

    private async Task ReleaseAllAsync(ITenantGrain tenant, List<string> leaseIds)
    {
        foreach (var leaseId in leaseIds)
        {
            await Bounded(tenant.Release(leaseId));
        }
    }

    private void Block(string tenant, TimeSpan wait) =>
        _blockedUntil[tenant] = time.GetUtcNow() + (wait < s_minBlock ? s_minBlock : wait > s_maxBlock ? s_maxBlock : wait);

    private ITenantGrain Tenant(Core.Scheduling.TenantId id) => grains.GetGrain<ITenantGrain>(id.Value);

    /// <summary>
    /// How long the pool waits for a tenant's answer. Far less than a call's response timeout (30 s): a worker's lease
    /// call, its heartbeat, a completion and a cancel wait on tenants before they answer, and one tenant that hangs
    /// (its silo stalled, not yet declared dead) made them all run into their own timeout, answered 504 although what
    /// they decided was stored. An unanswered call is handled as any failed one (an acquisition as possibly granted).
    /// </summary>
    internal static readonly TimeSpan TenantCallTimeout = TimeSpan.FromSeconds(5);

    private Task<T> Bounded<T>(Task<T> call) => call.WaitAsync(TenantCallTimeout, time);
}
