using Microsoft.Extensions.Logging;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// What a tenant holds in its ancestors for its leases, and for its descendants' (an acquisition reserves in every
/// ancestor, all or nothing): reserving, renewing (ancestors first) and releasing holds, and asking a parent that may
/// have been deleted.
/// </summary>
public sealed partial class TenantGrain
{
    /// <summary>What a deleted parent answers a reservation: nothing to hold there.</summary>
    private static readonly AdmissionDecision s_parentGone = new AdmissionDecision.Allow(null, null, 0);

    /// <summary>What a deleted parent answers a renewal: it holds nothing, which is not a refusal.</summary>
    private static readonly LeaseRenewal s_nothingHeld = new(false, null, ReasonCodes.LeaseNotFound);

    /// <summary>
    /// An ancestor's refusal to renew its hold. An ancestor that holds nothing for the lease (it does not cap the
    /// quota, or its hold already expired) answers lease_not_found, which is not a refusal: nothing is renewed there.
    /// </summary>
    private static bool RefusedAbove(LeaseRenewal renewal) => !renewal.Renewed && renewal.ReasonCode != ReasonCodes.LeaseNotFound;

    /// <summary>
    /// How much longer than the lease an ancestor holds for it. The ancestors are asked first and the lease is set
    /// last, so a hold of the lease's own time would end a moment before the lease: a renewal arriving in that moment
    /// would find no hold (lease_not_found, which passes) and the lease would run on uncounted above. The margin puts
    /// the hold's end after the lease's, on the safe side: a lease left to expire keeps its ancestors' capacity this
    /// much longer.
    /// </summary>
    internal static readonly TimeSpan HoldMargin = TimeSpan.FromSeconds(2);

    private static TimeSpan HoldTtl(TimeSpan leaseTtl) => leaseTtl + HoldMargin < LeaseBook.MaxTtl ? leaseTtl + HoldMargin : LeaseBook.MaxTtl;

    public async Task<AdmissionDecision> ReserveForChild(string childLeaseId, string quota, long amount, TimeSpan ttl)
    {
        var tenant = Tenant();
        var now = time.GetUtcNow();
        var capsHere = tenant.Effective.Any(q => q.Kind == QuotaKind.Gauge && q.Name == quota);
        if (capsHere && tenant.ReservationFor(childLeaseId) is { } standing && tenant.Gauges.IsLive(standing, now))
        {
            // Asked again for a hold that stands (a retried acquire, see TenantGrain.HoldAboveAgainAsync): kept as it is,
            // with nothing to store here, and asked of the ancestors above, which may have let theirs go.
            return tenant.Config.ParentId is { } grandparent
                ? await AskParentAsync(grandparent, p => p.ReserveForChild(childLeaseId, quota, amount, ttl), s_parentGone)
                : new AdmissionDecision.Allow(childLeaseId, now + ttl, 0);
        }

        var alertsBefore = tenant.Alerts.LastSequence;
        if (capsHere)
        {
            var decision = tenant.ReserveForChild(childLeaseId, quota, amount, HoldTtl(ttl), now);
            if (!decision.IsAllowed)
            {
                return decision;
            }
        }

        if (tenant.Config.ParentId is { } parent)
        {
            AdmissionDecision above;
            try
            {
                above = await AskParentAsync(parent, p => p.ReserveForChild(childLeaseId, quota, amount, ttl), s_parentGone);
            }
            catch
            {
                // Memory must not hold a reservation storage does not: the child takes its lease back and retries.
                tenant.RollbackChildReservation(childLeaseId, now, alertsBefore);
                throw;
            }

            if (!above.IsAllowed)
            {
                tenant.RollbackChildReservation(childLeaseId, now, alertsBefore);
                return above;
            }
        }

        if (capsHere)
        {
            await CommitAsync(tenant);
        }

        return new AdmissionDecision.Allow(childLeaseId, now + ttl, 0);
    }

    public async Task<bool> ReleaseChildReservation(string childLeaseId)
    {
        var released = Tenant().RollbackChildReservation(childLeaseId, time.GetUtcNow());
        if (released)
        {
            await CommitAsync(_tenant!);
        }

        await ReleaseAboveAsync(_tenant!.Config.ParentId, childLeaseId);

        return released;
    }

    /// <summary>Renews the hold for a descendant's lease, ancestors first, as <see cref="Renew"/> does.</summary>
    public async Task<LeaseRenewal> RenewChildReservation(string childLeaseId, TimeSpan ttl)
    {
        if (Tenant().Config.ParentId is { } parent)
        {
            var (above, parentGone) = await RenewAboveAsync(parent, childLeaseId, ttl);
            if (RefusedAbove(above))
            {
                return above;
            }

            if (!above.Renewed && !parentGone && Tenant().ReservationFor(childLeaseId) is { } held
                && await HoldAboveIfCappedAsync(parent, held, childLeaseId, ttl) is { } refused)
            {
                return refused;
            }
        }

        var tenant = Tenant();
        var renewal = tenant.ReservationFor(childLeaseId) is { } leaseId
            ? tenant.Renew(leaseId, HoldTtl(ttl), time.GetUtcNow())
            : new LeaseRenewal(false, null, ReasonCodes.LeaseNotFound);
        if (renewal.Renewed)
        {
            await CommitAsync(tenant);
        }

        return renewal;
    }

    /// <summary>
    /// Renews what the ancestors hold under <paramref name="key"/>, from <paramref name="parent"/> up; whether the parent
    /// was deleted, whose caps went with it (nothing is to be held there again).
    /// </summary>
    private async Task<(LeaseRenewal Renewal, bool ParentGone)> RenewAboveAsync(TenantId parent, string key, TimeSpan ttl)
    {
        try
        {
            return (await Parent(parent).RenewChildReservation(key, ttl), false);
        }
        catch (QuotaValidationException e) when (e.Code == TenantErrors.UnknownTenant)
        {
            return (s_nothingHeld, true);
        }
    }

    /// <summary>
    /// After the ancestors answered that none holds for a lease held here (<paramref name="leaseId"/>, reserved above
    /// under <paramref name="key"/>) although one caps its quota, as last read from the parent: a cap added since the
    /// lease was acquired (or taken out and put back, or a parent created again), which never held for it. The lease is
    /// reserved there now, or, refused, its renewal is: renewed unheld, it would run on uncounted above for as long as
    /// it is renewed. Null when nothing refuses (or no ancestor caps it).
    /// </summary>
    private async Task<LeaseRenewal?> HoldAboveIfCappedAsync(TenantId parent, string leaseId, string key, TimeSpan ttl)
    {
        if (Tenant().Gauges.Describe(leaseId) is not { } lease
            || Tenant().ParentQuotas?.Any(q => q.Kind == QuotaKind.Gauge && q.Name == lease.Quota) != true)
        {
            return null;
        }

        var above = await AskParentAsync(parent, p => p.ReserveForChild(key, lease.Quota, lease.Amount, ttl), s_parentGone);

        // A wait past the lease's own end is no use to the renewal: the lease is gone by then (404), to be acquired anew.
        var left = lease.ExpiresAt - time.GetUtcNow();
        TimeSpan? Within(TimeSpan? wait) => wait <= left ? wait : null;
        return above switch
        {
            AdmissionDecision.Deny deny => new LeaseRenewal(false, null, deny.ReasonCode, deny.Quota, deny.Current, deny.Limit, Within(deny.RetryAfter)),
            AdmissionDecision.Queue queue => new LeaseRenewal(false, null, queue.Reason, queue.Quota, queue.Current, queue.Limit, Within(queue.RetryAfter)),
            _ => null,
        };
    }

    /// <summary>Releases what the ancestors hold under <paramref name="childLeaseId"/>, from <paramref name="parent"/> up.</summary>
    private async Task ReleaseAboveAsync(TenantId? parent, string childLeaseId)
    {
        if (parent is { } id)
        {
            await AskParentAsync(id, p => p.ReleaseChildReservation(childLeaseId), gone: false);
        }
    }

    /// <summary>
    /// Asks the parent; a parent that was deleted answers <paramref name="gone"/>: its own caps went with it, and its
    /// children's leases go on under their own quotas (which keep what they last inherited from it, see
    /// <see cref="InheritFromParentAsync"/>).
    /// </summary>
    private async Task<T> AskParentAsync<T>(TenantId parent, Func<ITenantGrain, Task<T>> call, T gone)
    {
        try
        {
            return await call(Parent(parent));
        }
        catch (QuotaValidationException e) when (e.Code == TenantErrors.UnknownTenant)
        {
            return gone;
        }
    }

    /// <summary><see cref="AskParentAsync{T}"/> for a call whose answer does not matter here: false when the parent was deleted.</summary>
    private Task<bool> AskParentAsync(TenantId parent, Func<ITenantGrain, Task> call) => AskParentAsync(parent, async p =>
    {
        await call(p);
        return true;
    }, gone: false);

    /// <summary>Best effort, where nothing would retry it: an ancestor that cannot be reached lets its hold expire.</summary>
    private async Task ReleaseAboveQuietlyAsync(TenantId? parent, string childLeaseId)
    {
        try
        {
            await ReleaseAboveAsync(parent, childLeaseId);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogAncestorReleaseFailed(logger, exception, childLeaseId);
        }
    }

    /// <summary>Reservations in ancestors are keyed by child tenant and lease, so two children's leases never collide.</summary>
    private string ChildKey(string leaseId) => Id + "/" + leaseId;

    private ITenantGrain Parent(TenantId id) => GrainFactory.GetGrain<ITenantGrain>(id.Value);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing what the ancestors hold for lease {Key} failed; their hold expires with its time to live")]
    private static partial void LogAncestorReleaseFailed(ILogger logger, Exception exception, string key);
}
