using Grains;
using Microsoft.Extensions.Logging;

namespace Quotas.Grains.Tenants;

public sealed partial class TenantGrain
{
    /// <summary>A tenant leaving memory (moved, shut down, collected) stores the alerts of its last second first.</summary>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => StoreNewAlertsAsync();

    /// <summary>
    /// Stores alerts that calls writing nothing raised (a rate hit crossing a threshold), so that they outlive the
    /// activation: from the timer, at most one write a second, and only when an alert came since the last write. A
    /// write of its own, unlike <see cref="CommitAsync"/>: memory holds nothing here that storage refused (only alerts
    /// not yet stored), so a failure puts back the stored snapshot alone and keeps the rate windows, and the next tick
    /// tries again.
    /// </summary>
    private async Task StoreNewAlertsAsync()
    {
        var stored = state.State.Snapshot?.Alerts is { Count: > 0 } alerts ? alerts[^1].Sequence : 0;
        if (_tenant is not { } tenant || tenant.Alerts.LastSequence == stored)
        {
            return;
        }

        var previous = state.State.Snapshot;
        state.State.Snapshot = tenant.ToSnapshot();
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception exception)
        {
            state.State.Snapshot = previous;
            LogAlertsNotStored(logger, exception, Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {TenantId} could not store its latest alerts; it keeps them and tries again in a second")]
    private static partial void LogAlertsNotStored(ILogger logger, Exception exception, string tenantId);
}
