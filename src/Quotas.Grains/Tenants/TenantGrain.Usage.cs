using Grains.Timers;
using Microsoft.Extensions.Logging;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// Budget usage counts against every ancestor. A tenant with a parent keeps what its parent has not counted yet in a
/// stored outbox (<see cref="UsageOutbox"/>) and sends it every second while active (with its lease sweep). The send
/// is not awaited by any turn: recording usage, and every other call, never waits on an ancestor, nor fails because
/// one is out of reach. Each parent counts a delivery once per child life and passes it on in its own outbox, one
/// level at a time.
/// </summary>
public sealed partial class TenantGrain
{
    /// <summary>True while a delivery is on its way to the parent: the next tick sends nothing more.</summary>
    private bool _sending;

    /// <summary>True when the parent acknowledged a batch that is still stored as in flight: the next tick stores that.</summary>
    private bool _acknowledgementUnsaved;

    /// <summary>
    /// When the parent last answered that it was deleted: usage is dropped instead of sent until
    /// <see cref="ParentRefreshInterval"/> later, when the parent is asked again (it may have been created again).
    /// </summary>
    private DateTimeOffset? _parentGoneAt;

    /// <summary>
    /// Counts the reads that found the parent alive: an answer "gone" to a delivery sent before the latest of them
    /// (the parent was created again meanwhile) pauses nothing.
    /// </summary>
    private long _parentSeenAlive;

    private bool _deliveryFailing;

    /// <summary>
    /// How long a tenant that owes its parent usage is held from idle collection at most while the parent takes none of
    /// it: the parent may never take it (it runs an earlier release during an upgrade, say); the stored usage then goes
    /// at the next activation.
    /// </summary>
    internal static readonly TimeSpan OwingHoldLimit = TimeSpan.FromHours(1);

    /// <summary>Keeps the activation from idle collection while usage waits to be sent (see <see cref="HoldActiveWhileOwing"/>).</summary>
    private IGrainTimer? _owingHold;

    /// <summary>Since when the tenant has owed its parent usage without the parent taking any; null while it owes nothing.</summary>
    private DateTimeOffset? _owingSince;

    public async Task<bool> RecordChildUsage(string child, UsageBatch batch)
    {
        var tenant = Tenant();
        if (!tenant.RecordChildUsage(child, batch, time.GetUtcNow(), state.State.RecreatedAt))
        {
            return false;
        }

        await CommitAsync(tenant);
        return true;
    }

    public async Task EndChildUsage(string child)
    {
        ChildDeliveries.Validate(child);
        if (_tenant is { } tenant && tenant.ChildDeliveries.End(child, time.GetUtcNow()))
        {
            await CommitAsync(tenant);
        }
    }

    /// <summary>Sends everything now and waits for the parent (the periodic send does not): for a delete, and for tests.</summary>
    public async Task<bool> DeliverUsageToParent()
    {
        _ = Tenant();
        await DeliverAllAsync();
        return !Tenant().OwesParent;
    }

    /// <summary>The batch in flight, then one of everything pending; nothing is added in between, as this turn waits.</summary>
    private async Task DeliverAllAsync()
    {
        for (var i = 0; i < 2 && await CutAsync() is { } batch; i++)
        {
            await SendAsync(batch);
            if (_acknowledgementUnsaved)
            {
                _acknowledgementUnsaved = false;
                await CommitAsync(Tenant());
            }
        }
    }

    /// <summary>
    /// The periodic send: stores an acknowledgement that came since and cuts the next batch in one write, then sends
    /// the batch without waiting for the answer, which arrives between turns.
    /// </summary>
    private async Task DeliverUsageInBackgroundAsync()
    {
        if (_sending || _tenant is null)
        {
            return;
        }

        if (_parentGoneAt is { } goneAt && time.GetUtcNow() - goneAt < ParentRefreshInterval)
        {
            _tenant.Outbox.Drop(); // stored with the next change: nothing is owed to a deleted parent
            return;
        }

        UsageBatch? batch;
        try
        {
            batch = await CutAsync();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            NoteFailure(exception);
            return;
        }

        // Held first: the answer may come back on another thread before this turn goes on.
        HoldActiveWhileOwing();
        if (batch is not null)
        {
            _sending = true;
            _ = SendInBackgroundAsync(batch);
        }
    }

    /// <summary>
    /// Timer ticks do not count as activity, so a tenant whose parent is out of reach for longer than the idle time
    /// would be collected with usage still owed, which then waits for the next call to the tenant. A second timer that
    /// does count holds the activation while anything is owed, and goes once everything was sent.
    /// </summary>
    private void HoldActiveWhileOwing()
    {
        if (_tenant is not { Config.ParentId: not null, OwesParent: true })
        {
            _owingSince = null;
            return;
        }

        _owingSince ??= time.GetUtcNow();
        if (time.GetUtcNow() - _owingSince < OwingHoldLimit)
        {
            _owingHold ??= RegisterGrainTimer(
                static (TenantGrain grain, CancellationToken _) => grain.OnOwingHoldTick(),
                this,
                new GrainTimerCreationOptions(LeaseSweepInterval, LeaseSweepInterval) { KeepAlive = true });
        }
    }

    /// <summary>The hold's tick, which counts as activity; it lets go once nothing is owed, or after <see cref="OwingHoldLimit"/>.</summary>
    private Task OnOwingHoldTick()
    {
        var owing = _tenant is { OwesParent: true };
        if (!owing || time.GetUtcNow() - _owingSince >= OwingHoldLimit)
        {
            _owingSince = owing ? _owingSince : null;
            _owingHold?.Dispose();
            _owingHold = null;
        }

        return Task.CompletedTask;
    }

    /// <summary>The batch to send, stored before it goes (with an acknowledgement not stored yet); null when none.</summary>
    private async Task<UsageBatch?> CutAsync()
    {
        // A tenant that never owed its parent anything has no outbox, and is not given one here; an acknowledgement
        // not stored yet is stored even when nothing more is owed.
        if (_tenant is not { Config.ParentId: not null } tenant || !(tenant.OwesParent || _acknowledgementUnsaved))
        {
            return null;
        }

        var batch = tenant.Outbox.NextBatch(out var cut);
        if (cut || _acknowledgementUnsaved)
        {
            _acknowledgementUnsaved = false;
            await CommitAsync(tenant);
        }

        return batch;
    }

    /// <summary>Sends a batch and takes the parent's acknowledgement in memory; a deleted parent acknowledges by being gone.</summary>
    private async Task SendAsync(UsageBatch batch)
    {
        var tenant = Tenant();
        var life = tenant.Outbox.Life;
        var child = Id + "/" + life;
        var seenAliveBefore = _parentSeenAlive;
        var gone = !await AskParentAsync(tenant.Config.ParentId!.Value, p => p.RecordChildUsage(child, batch));

        // The tenant may have been rebuilt meanwhile, from a snapshot that holds the same batch in flight; or deleted
        // and created again, a new life numbering its batches afresh, which this answer is not about.
        if (_tenant is not { } current || current.Outbox.Life != life)
        {
            return;
        }

        if (gone && _parentSeenAlive == seenAliveBefore)
        {
            _parentGoneAt = time.GetUtcNow();
        }

        if (current.Outbox.Acknowledge(batch.Sequence))
        {
            // The parent takes what it is sent: the hour the hold lasts counts from here (see OwingHoldLimit).
            _acknowledgementUnsaved = true;
            _owingSince = null;
        }
    }

    /// <summary>Forgets what this activation knew of the delivery of a tenant's earlier life (it was deleted, or is created now).</summary>
    private void ResetDelivery()
    {
        _acknowledgementUnsaved = false;
        _parentGoneAt = null;
        _deliveryFailing = false;
        _owingHold?.Dispose();
        _owingHold = null;
        _owingSince = null;
    }

    private async Task SendInBackgroundAsync(UsageBatch batch)
    {
        var life = _tenant?.Outbox.Life;
        try
        {
            await SendAsync(batch);
            if (_deliveryFailing)
            {
                _deliveryFailing = false;
                LogDeliveryRecovered(logger, Id);
            }
        }
        catch (Exception exception)
        {
            // Nobody awaits this task, so every failure ends here; the batch stays in flight and goes again next tick.
            // A failure of a send from the tenant's earlier life says nothing about this one.
            if (_tenant?.Outbox.Life == life)
            {
                NoteFailure(exception);
            }
        }
        finally
        {
            _sending = false;
        }
    }

    /// <summary>Logs the first failure of a run of them, so that a parent out of reach is not logged every second.</summary>
    private void NoteFailure(Exception exception)
    {
        if (!_deliveryFailing)
        {
            _deliveryFailing = true;
            LogDeliveryFailed(logger, exception, Id);
        }
    }

    /// <summary>Best effort: a parent that does not learn that a deleted child's life ended keeps one small entry for it.</summary>
    private async Task EndAboveQuietlyAsync(TenantId parent, string child)
    {
        try
        {
            await AskParentAsync(parent, p => p.EndChildUsage(child));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogEndFailed(logger, exception, child);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {TenantId} could not send its parent the budget usage recorded here; it keeps it and tries again every second")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string tenantId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The parent could not be told that deleted child {Child} ended; it keeps one entry for it")]
    private static partial void LogEndFailed(ILogger logger, Exception exception, string child);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {TenantId} sends its parent the budget usage recorded here again")]
    private static partial void LogDeliveryRecovered(ILogger logger, string tenantId);
}
