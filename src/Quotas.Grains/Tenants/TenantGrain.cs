using Grains;
using Microsoft.Extensions.Logging;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// Holds one tenant's <see cref="TenantQuotas"/>. Changes are persisted before the call returns; when a write fails the
/// tenant is rebuilt from the last persisted state, so no caller holds an acknowledgement that a crash could take back.
/// A gauge acquisition also reserves in every ancestor (each parent reserves in its own parent), all or nothing, and
/// a rate hit counts in every ancestor the same way (<c>TenantGrain.Rates.cs</c>).
/// A child re-reads what it inherits from its parent when it is activated, when its own quotas change, when the parent
/// tells it that its quotas changed, and every <see cref="ParentRefreshInterval"/> while active. The parent knows its
/// children from their reads, in memory only: after the parent is reactivated (a silo failed, say) a child it has not
/// heard from yet gets the change by that refresh, within the interval.
/// </summary>
[GrainType(GrainTypeName)]
public sealed partial class TenantGrain(
    [PersistentState("tenant")] IPersistentState<TenantState> state,
    TimeProvider time,
    ILogger<TenantGrain> logger) : Grain, ITenantGrain
{
    /// <summary>The grain type's wire and storage name; pinned so that renaming the class breaks nothing.</summary>
    public const string GrainTypeName = "tenant";

    /// <summary>How often expired leases are released, and budget usage sent to the parent, while the tenant is active.</summary>
    internal static readonly TimeSpan LeaseSweepInterval = TimeSpan.FromSeconds(1);

    private TenantQuotas? _tenant;

    private string Id => GetPrimaryKeyString();

    private ITenantDirectoryGrain Directory() => GrainFactory.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.Key);

    private ITenantDirectoryGrain DeletedDirectory() => GrainFactory.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.DeletedTenantsKey);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Snapshot is { } snapshot)
        {
            _tenant = Restore(snapshot);
            if (snapshot.RateCounts is { } counts)
            {
                _tenant.TakeOverRates(counts, time.GetUtcNow());
            }

            try
            {
                await ExpireLeasesAsync();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Storage refuses the write: the tenant still answers what memory answers (rates, reads), with the
                // leases as stored, and the timer below writes the expiry once it can.
                LogExpiryNotStored(logger, exception, Id);
            }

            try
            {
                await InheritFromParentAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The tenant serves with what it inherited last; the timer below tries again (and reports a failure).
            }
        }

        RegisterGrainTimer(_ => EverySecondAsync(), LeaseSweepInterval, LeaseSweepInterval);
        RefreshFromParentWhileActive();
    }

    /// <summary>The tenant its stored snapshot describes; one this release refuses fails as unreadable state (<see cref="RefusedState"/>).</summary>
    private TenantQuotas Restore(TenantSnapshot snapshot)
    {
        try
        {
            return TenantQuotas.FromSnapshot(snapshot);
        }
        catch (QuotaValidationException exception)
        {
            throw RefusedState.Of("tenant", GrainTypeName, Id, exception);
        }
    }

    /// <summary>One timer for the periodic work, so that an active tenant costs one turn a second, not one per task.</summary>
    private async Task EverySecondAsync()
    {
        // Rate windows need not keep an idle tenant in memory: idle collection hands them over (OnDeactivateAsync).
        try
        {
            await ExpireLeasesAsync();
        }
        finally
        {
            await DeliverUsageInBackgroundAsync();

            // Last: either write above may have stored them already.
            await StoreNewAlertsAsync();
        }
    }

    public async Task<TenantConfig> Create(TenantConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (config.Id.Value != Id)
        {
            throw new QuotaValidationException(ValidationCodes.InvalidTenantId, $"The configuration names tenant '{config.Id}' but was sent to tenant '{Id}'; send it to its own tenant.");
        }

        if (_tenant is not null)
        {
            throw new QuotaValidationException(TenantErrors.TenantExists, $"Tenant '{Id}' already exists; update its quotas instead.");
        }

        var parentQuotas = config.ParentId is { } parent ? await ParentQuotasAsync(parent) : null;
        // Listed before it is stored: a listing may name a tenant whose creation failed (readers skip it), but never
        // misses one that exists.
        await Directory().Add(Id);
        if (state.State.LastDeletedAt is not null)
        {
            // Perhaps listed among the deleted tenants (see Delete; also by a delete whose write then failed, or a silo
            // of another release): from now on the statements are read among the live ones.
            await DeletedDirectory().Remove(Id);
        }

        ResetDelivery();
        var created = new TenantQuotas(config with { Status = TenantStatus.Active }, parentQuotas);
        created.Gauges.RestoreSequence(state.State.RetiredLeaseSequence);

        // A tenant created again starts afresh; what was kept of the deleted one's metering stays for the statements
        // that have closed (GetStatement), until no month it could bill is left.
        var (recreatedBefore, createdBefore, keptBefore) = (state.State.RecreatedAt, state.State.CreatedAt, state.State.KeptGauges);
        var now = time.GetUtcNow();
        state.State.RecreatedAt = state.State.LastDeletedAt is null ? null : now;
        state.State.CreatedAt = now;
        state.State.KeptGauges = null;
        try
        {
            await CommitAsync(created);
        }
        catch
        {
            (state.State.RecreatedAt, state.State.CreatedAt, state.State.KeptGauges) = (recreatedBefore, createdBefore, keptBefore);
            throw;
        }

        RefreshFromParentWhileActive();
        await ReadRateCapsOnCreateAsync();
        TellChildren(); // children of an earlier life of this id still ask it; they re-read what they inherit
        return _tenant!.Config;
    }

    public Task<TenantConfig> GetConfig() => Task.FromResult(Tenant().Config);

    public Task<IReadOnlyList<QuotaDefinition>> GetEffectiveQuotas() => Task.FromResult(Tenant().Effective);

    public async Task<TenantConfig> UpdateQuotas(IReadOnlyList<QuotaDefinition> quotas)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        var config = Tenant().Config with { Quotas = quotas };
        config.Validate();
        var parentQuotas = config.ParentId is { } parent ? await ParentQuotasIfAnyAsync(parent) : null;
        var (inherited, kept) = parentQuotas is null ? (null, state.State.KeptGauges ?? []) : KeepingLeasedGauges(parentQuotas, config);
        await RebuildKeepingAsync(
            snapshot =>
            {
                snapshot.Config = config;
                snapshot.ParentQuotas = inherited ?? snapshot.ParentQuotas;
            },
            kept,
            RefuseDroppingLiveLeases);
        TellChildren();
        return _tenant!.Config;
    }

    /// <summary>
    /// Refuses an update that leaves a gauge with live leases out of the quotas in force (a custom name no tier or parent
    /// sets): its leases would be dropped uncounted, so that the gauge, put back, admitted past its limit beside holders
    /// still running, and the holds ancestors keep for them would stand until they expire. Holds this tenant keeps for
    /// its descendants' leases go with its cap, as before: those leases run on under their own quotas, and hold here
    /// again at their next renewal once the cap is back.
    /// </summary>
    private void RefuseDroppingLiveLeases(TenantQuotas current, TenantQuotas updated)
    {
        var now = time.GetUtcNow();
        var dropped = current.Gauges.Leases()
            .Where(lease => lease.ExpiresAt > now && current.ChildLeaseOf(lease.LeaseId) is null)
            .Where(lease => !updated.Effective.Any(q => q.Kind == QuotaKind.Gauge && q.Name == lease.Quota))
            .GroupBy(lease => lease.Quota, StringComparer.Ordinal)
            .FirstOrDefault();
        if (dropped is not null)
        {
            throw new QuotaValidationException(
                TenantErrors.LeasesLive,
                $"Gauge '{dropped.Key}' of tenant '{Id}' has {dropped.Count()} live leases holding {dropped.Sum(l => l.Amount)}; an update that leaves it out would drop them uncounted. Release them or let them expire first, or keep the gauge (an unlimited limit caps nothing).");
        }
    }

    public Task Suspend() => SetStatusAsync(TenantStatus.Suspended);

    public Task Activate() => SetStatusAsync(TenantStatus.Active);

    public async Task Delete(bool force)
    {
        var tenant = Tenant();
        if (tenant.Status != TenantStatus.Suspended)
        {
            throw new QuotaValidationException(TenantErrors.NotSuspended, $"Tenant '{Id}' is {tenant.Status}; suspend it before deleting it.");
        }

        tenant.ExpireDue(time.GetUtcNow());
        if (!force && tenant.Gauges.LeaseCount > 0)
        {
            throw new QuotaValidationException(TenantErrors.LeasesLive, LiveLeasesRefusal(tenant));
        }

        // A hold for a child's lease is known above under that child's key, as the child reserved it there.
        var parent = tenant.Config.ParentId;
        var heldAbove = tenant.Gauges.Leases().Select(lease => tenant.ChildLeaseOf(lease.LeaseId) ?? ChildKey(lease.LeaseId)).ToList();

        // Its jobs go from every pool before the state is cleared, as its keys are revoked: a failure leaves the tenant
        // (suspended) to delete again, and both steps may run twice.
        await RemoveFromPoolsAsync();

        // Revoked before the state is cleared: a failure leaves the tenant (suspended) to delete again, and revoking
        // a key twice changes nothing.
        foreach (var keyId in state.State.ApiKeyIds.ToArray())
        {
            await GrainFactory.GetGrain<IApiKeyGrain>(keyId).Revoke();
        }

        // The parent counts what the tenant (its pools' settlements included) recorded before the tenant goes: a parent
        // out of reach fails the delete, which can be tried again.
        await DeliverAllAsync();
        var life = _tenant?.Outbox.Life;

        // Only the lease sequence, the time of the delete and the metering are kept (see TenantState); the metering
        // holds what the pools charged during the delete, as it is read after them.
        var final = (_tenant ?? tenant).ToSnapshot();
        var retired = new TenantState
        {
            RetiredLeaseSequence = Math.Max(tenant.Gauges.LastSequence, state.State.RetiredLeaseSequence),
            LastDeletedAt = time.GetUtcNow(),
            RetiredUsage = final.Usage,
            RetiredPricingPlans = final.PricingPlans,
        };
        KeepEarlierLives(retired);

        // Listed before it is stored, as a creation is: a delete that fails leaves the id in both lists, which readers merge.
        if (KeepsMetering(retired))
        {
            await DeletedDirectory().Add(Id);
        }

        var previous = state.State;
        state.State = retired;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = previous;
            throw;
        }

        _tenant = null;
        ResetDelivery();
        TellChildren(); // their caps may name this tenant, or go through it; they re-read and find it gone

        // Released once the delete is stored: a delete that failed before leaves the tenant, with its leases, still
        // counted above. One that cannot be released now runs out with its time to live.
        foreach (var key in heldAbove)
        {
            await ReleaseAboveQuietlyAsync(parent, key);
        }

        if (parent is { } parentId && life is not null)
        {
            await EndAboveQuietlyAsync(parentId, Id + "/" + life);
        }

        // The delete is stored: failing it now would tell the caller it did not happen, and a retry would answer
        // unknown_tenant. An id left listed is harmless (readers skip ids that answer unknown_tenant) until created again.
        try
        {
            await Directory().Remove(Id);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogUnlistFailed(logger, exception, Id);
        }
    }

    /// <summary>
    /// Why a delete without force is refused, saying which leases a client can release: holds for its child tenants'
    /// leases renew with them and a pool's leases for running jobs end with the jobs, so only force ends those.
    /// </summary>
    private string LiveLeasesRefusal(Core.Tenants.TenantQuotas tenant)
    {
        var leases = tenant.Gauges.Leases().ToList();
        var forService = leases.Count(lease => tenant.IsHeldForService(lease.LeaseId));
        var forChildren = leases.Count(lease => tenant.ChildLeaseOf(lease.LeaseId) is not null);
        var held = forService == 0
            ? ""
            : $" ({forChildren} held for its child tenants' leases and {forService - forChildren} for jobs running in pools, which only a delete with force ends)";
        return $"Tenant '{Id}' still holds {leases.Count} live leases{held}; " +
            (leases.Count > forService ? "release its own, wait for them to expire, or delete with force." : "delete with force.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant} could not store the expiry of the leases that ran out while it was out of memory; it answers on, and tries again every second")]
    private static partial void LogExpiryNotStored(ILogger logger, Exception exception, string tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant} is deleted but stays listed in the tenants' directory, whose write failed; listings skip it")]
    private static partial void LogUnlistFailed(ILogger logger, Exception exception, string tenant);

    public Task<DateTimeOffset?> GetLastDeletedAt() => Task.FromResult(state.State.LastDeletedAt);

    public Task<IReadOnlyList<string>> GetApiKeyIds() =>
        Task.FromResult<IReadOnlyList<string>>(_tenant is null ? [] : [.. state.State.ApiKeyIds]);

    public async Task AddApiKey(string keyId)
    {
        Tenant();
        if (string.IsNullOrEmpty(keyId))
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, "The API key id is empty; pass the id of the key being issued.");
        }

        if (state.State.ApiKeyIds.Contains(keyId))
        {
            return;
        }

        state.State.ApiKeyIds.Add(keyId);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.ApiKeyIds.Remove(keyId);
            throw;
        }
    }

    public Task<UsageRecord> RecordUsage(string eventId, string quota, long amount) => RecordAsync(eventId, quota, amount, null);

    public Task<UsageRecord> RecordUsageAt(string eventId, string quota, long amount, DateTimeOffset occurredAt) =>
        RecordAsync(eventId, quota, amount, occurredAt);

    private async Task<UsageRecord> RecordAsync(string eventId, string quota, long amount, DateTimeOffset? occurredAt)
    {
        RefuseMonthOfEarlierTenant(eventId, occurredAt);
        var record = Tenant().RecordUsage(eventId, quota, amount, time.GetUtcNow(), SinceCreation(eventId, occurredAt));
        if (!record.Duplicate)
        {
            await CommitAsync(_tenant!);
        }

        // Counted once stored: a write that fails records nothing, and the caller's retry is counted then.
        QuotaMetrics.Recorded(record);
        return record;
    }

    public async Task ForgetPoolCharges(IReadOnlyList<string> eventIds)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        if (_tenant is { } tenant && tenant.ForgetPoolCharges(eventIds) > 0)
        {
            await CommitAsync(tenant);
        }
    }

    public async Task ReportGauge(string quota, long value)
    {
        Tenant().ReportGauge(quota, value, time.GetUtcNow());
        await CommitAsync(_tenant!);
    }

    public Task<AdmissionDecision> CheckReported(string quota, long additional)
    {
        var decision = Tenant().CheckReported(quota, additional, time.GetUtcNow());
        QuotaMetrics.Decided("reported", decision);
        return Task.FromResult(decision);
    }

    public Task<AdmissionDecision> CheckBudget(string quota, long amount, bool countAsViolation)
    {
        var decision = Tenant().CheckBudget(quota, amount, time.GetUtcNow(), countAsViolation);
        QuotaMetrics.Decided("budget", decision);
        return Task.FromResult(decision);
    }

    public Task<TenantStats> GetStats() => Task.FromResult(Tenant().Stats(time.GetUtcNow()));

    public Task<IReadOnlyList<QuotaAlert>> GetAlerts(long afterSequence) => Task.FromResult(Tenant().Alerts.After(afterSequence));

    private async Task SetStatusAsync(TenantStatus status)
    {
        var tenant = Tenant();
        if (tenant.Status != status)
        {
            tenant.SetStatus(status);
            await CommitAsync(tenant);
        }
    }

    private async Task ExpireLeasesAsync()
    {
        if (_tenant is not null && _tenant.ExpireDue(time.GetUtcNow()) > 0)
        {
            await CommitAsync(_tenant);
        }
    }

    /// <summary>
    /// Commits the tenant rebuilt from its snapshot with <paramref name="change"/> applied, keeping what it holds in
    /// memory only (rate windows, the requests peak) and its alert feed as it is.
    /// </summary>
    /// <param name="change">Changes the stored form.</param>
    /// <param name="check">Throws, before anything is stored, when the rebuilt tenant may not replace the current one.</param>
    private async Task RebuildAsync(Action<TenantSnapshot> change, Action<TenantQuotas, TenantQuotas>? check = null)
    {
        var current = Tenant();
        var snapshot = current.ToSnapshot();
        change(snapshot);
        var updated = TenantQuotas.FromSnapshot(snapshot);
        check?.Invoke(current, updated);
        updated.KeepMemoryOf(current, time.GetUtcNow());
        await CommitAsync(updated);
    }

    private async Task CommitAsync(TenantQuotas tenant)
    {
        var previous = state.State.Snapshot;
        state.State.Snapshot = tenant.ToSnapshot();
        try
        {
            await state.WriteStateAsync();
            _tenant = tenant;
        }
        catch
        {
            state.State.Snapshot = previous;
            RestoreStored();
            throw;
        }
    }

    /// <summary>
    /// Puts memory back to the stored state, but for the rate windows, which only memory holds: they go on counting
    /// (a failed write must not hand the tenant its limits again). Lease ids go on from those handed out since, so that
    /// within an activation no id comes twice (a later activation counts on from the microseconds since the epoch, past
    /// any id handed out but never stored).
    /// </summary>
    private void RestoreStored()
    {
        var previous = _tenant;
        _tenant = state.State.Snapshot is { } stored ? TenantQuotas.FromSnapshot(stored) : null;
        if (previous is not null && _tenant is not null)
        {
            _tenant.Gauges.RestoreSequence(previous.Gauges.LastSequence);
            _tenant.CarryOverRates(previous, time.GetUtcNow());
        }
    }

    private TenantQuotas Tenant() => _tenant ?? throw TenantErrors.Unknown(Id);
}
