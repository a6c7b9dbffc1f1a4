using Grains;
using Microsoft.Extensions.Logging;

namespace Quotas.Grains.Tenants;

public sealed partial class TenantGrain
{
    /// <summary>
    /// A tenant leaving memory (its silo shut down, idle collection) stores the alerts of its last second and what its
    /// rate quotas count, so that its next activation counts on from them rather than hand out its limits again (a
    /// rolling restart would otherwise reset every tenant's windows). A tenant moved to a silo that joined writes
    /// nothing: nothing hands a move over, so its new activation may already run there, and a write now would make that
    /// one's next write fail; its windows start empty there, and the alerts of its last second are lost, as after a
    /// crash. A tenant whose state storage refused (<see cref="DeactivationReasonCode.InconsistentState"/>) writes
    /// nothing either: its memory is not what storage holds.
    /// </summary>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        reason.Code is DeactivationReasonCode.InconsistentState or DeactivationReasonCode.PlacementChanged ? Task.CompletedTask : HandOverAsync();

    /// <summary>
    /// The write of <see cref="OnDeactivateAsync"/>: none when there are no new alerts and nothing counts. It has
    /// <see cref="s_handOverBudget"/>, of real time (a bound on storage, not part of the tenant's logic, so the tenant's
    /// clock does not drive it), well within the deactivation's own timeout: a silo stopping while storage is slow hands
    /// its grains off without what they counted, as after a crash, rather than spend its whole shutdown time on these
    /// writes.
    /// </summary>
    private async Task HandOverAsync()
    {
        if (_tenant is not { } tenant || state.State.Snapshot is null)
        {
            return;
        }

        var snapshot = tenant.HandOverSnapshot(time.GetUtcNow());
        if (snapshot.RateCounts is null && !HasNewAlerts(tenant))
        {
            return;
        }

        using var budget = new CancellationTokenSource(s_handOverBudget);
        await WriteKeepingMemoryAsync(snapshot, "its rate counts and latest alerts as it left memory; its next activation counts its rate windows from what the row last held", budget.Token);
    }

    private static readonly TimeSpan s_handOverBudget = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Stores alerts that calls writing nothing raised (a rate hit crossing a threshold), so that they outlive the
    /// activation: from the timer, at most one write a second, and only when an alert came since the last write.
    /// </summary>
    private async Task StoreNewAlertsAsync()
    {
        if (_tenant is { } tenant && HasNewAlerts(tenant))
        {
            await WriteKeepingMemoryAsync(tenant.ToSnapshot(), "its latest alerts; it keeps them and tries again in a second");
        }
    }

    // The newest alert kept, not the highest number given: one given to an alert left out after a failed write would
    // never match the stored feed, and the tenant would write its whole row every second.
    private bool HasNewAlerts(Core.Tenants.TenantQuotas tenant) =>
        tenant.Alerts.NewestSequence != (state.State.Snapshot?.Alerts is { Count: > 0 } alerts ? alerts[^1].Sequence : 0);

    /// <summary>
    /// A write of its own, unlike <see cref="CommitAsync"/>: memory holds nothing here that storage refused (only alerts
    /// not yet stored, and rate counts), so a failure puts back the stored snapshot alone, keeps memory as it is, and is
    /// logged rather than thrown.
    /// </summary>
    private async Task WriteKeepingMemoryAsync(Core.Tenants.TenantSnapshot snapshot, string what, CancellationToken cancellationToken = default)
    {
        var previous = state.State.Snapshot;
        state.State.Snapshot = snapshot;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch (Exception exception)
        {
            state.State.Snapshot = previous;
            LogNotStored(logger, exception, Id, what);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {TenantId} could not store {What}")]
    private static partial void LogNotStored(ILogger logger, Exception exception, string tenantId, string what);
}
