using Microsoft.Extensions.Logging;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>
/// The tenant's gauge leases: acquired (reserving in every ancestor first), released and renewed, by the tenant's own
/// clients or by the service (a pool for a running job, a child for its own lease).
/// </summary>
public sealed partial class TenantGrain
{
    public async Task<AdmissionDecision> Acquire(string quota, long amount, TimeSpan ttl, string? idempotencyKey)
    {
        var tenant = Tenant();
        var sequence = tenant.Gauges.LastSequence;
        var alertsBefore = tenant.Alerts.LastSequence;
        var decision = tenant.Acquire(quota, amount, ttl, idempotencyKey, time.GetUtcNow());
        if (decision is not AdmissionDecision.Allow { LeaseId: { } leaseId })
        {
            QuotaMetrics.Decided("lease", decision);
            return decision;
        }

        if (tenant.Gauges.LastSequence == sequence)
        {
            // A retried acquire answered with the lease its first attempt got (live or since released): that attempt
            // asked the ancestors and stored it. A lease since released is not asked for above again (an ancestor would
            // hold for a lease that will never be released), and a refusal above takes back no lease already
            // acknowledged.
            await HoldAboveAgainAsync(tenant, leaseId, quota, amount);
            QuotaMetrics.Decided("lease", decision);
            return decision;
        }

        if (tenant.Config.ParentId is { } parent)
        {
            AdmissionDecision reserved;
            try
            {
                reserved = await AskParentAsync(parent, p => p.ReserveForChild(ChildKey(leaseId), quota, amount, ttl), s_parentGone);
            }
            catch
            {
                // Take the lease back so that memory never holds more than storage (a stored lease of a retried
                // acquire comes back on the next activation, which errs on the safe side), and release what the
                // ancestors may have reserved before the failure (a timeout), rather than leave it to its expiry.
                tenant.TakeBack(leaseId, time.GetUtcNow(), alertsBefore);
                await ReleaseAboveQuietlyAsync(tenant.Config.ParentId, ChildKey(leaseId));
                throw;
            }

            if (!reserved.IsAllowed)
            {
                // All or nothing: the lease granted here goes back, and the ancestor's answer is the caller's. Its key
                // is not kept as released: a retry of this acquire must ask again, not get this lease back.
                tenant.TakeBack(leaseId, time.GetUtcNow(), alertsBefore);
                if (state.State.Snapshot?.Leases.Exists(l => l.LeaseId == leaseId) == true)
                {
                    await CommitAsync(tenant);
                }

                QuotaMetrics.Decided("lease", reserved);
                return reserved;
            }
        }

        try
        {
            await CommitAsync(tenant);
        }
        catch
        {
            await ReleaseAboveAsync(_tenant?.Config.ParentId, ChildKey(leaseId));
            throw;
        }

        QuotaMetrics.Decided("lease", decision);
        return decision;
    }

    /// <summary>
    /// Asks the ancestors again to hold for a live lease that a retried acquire answers with. Its first attempt may have
    /// stored it although told that the write failed, and then released what the ancestors held for it: the lease would
    /// run uncounted above. An ancestor that still holds for it keeps that hold (the same key). Best effort: the lease
    /// was acknowledged, and stands whatever the ancestors answer; a failure is asked again at the next retry.
    /// </summary>
    private async Task HoldAboveAgainAsync(TenantQuotas tenant, string leaseId, string quota, long amount)
    {
        var now = time.GetUtcNow();
        if (tenant.Config.ParentId is not { } parent || !tenant.Gauges.IsLive(leaseId, now) || tenant.Gauges.ExpiryOf(leaseId) is not { } expires)
        {
            return;
        }

        try
        {
            var above = await AskParentAsync(parent, p => p.ReserveForChild(ChildKey(leaseId), quota, amount, expires - now), s_parentGone);
            if (!above.IsAllowed)
            {
                // Another tenant took the capacity meanwhile: the lease runs on uncounted above until it ends.
                LogHoldAboveRefused(logger, Id, leaseId, quota);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogHoldAboveNotRenewed(logger, exception, Id, leaseId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant} could not ask its ancestors again to hold for lease {LeaseId}, which a retried acquire answers with; the next retry asks again")]
    private static partial void LogHoldAboveNotRenewed(ILogger logger, Exception exception, string tenant, string leaseId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An ancestor of tenant {Tenant} refused to hold again for its lease {LeaseId} of '{Quota}', which a retried acquire answers with (its first attempt's hold was let go, and the capacity taken since); the lease runs on until it ends, uncounted there")]
    private static partial void LogHoldAboveRefused(ILogger logger, string tenant, string leaseId, string quota);

    public Task<HeldLease?> GetLease(string leaseId) => Task.FromResult(Tenant().HeldLease(leaseId, time.GetUtcNow()));

    public Task<IReadOnlyList<HeldLease>> ListLeases(string? afterLeaseId, int limit)
    {
        if (limit is < 1 or > MaxLeasesListed)
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, $"limit is {limit}: use 1 to {MaxLeasesListed}.");
        }

        return Task.FromResult(Tenant().HeldLeases(afterLeaseId, limit, time.GetUtcNow()));
    }

    private const int MaxLeasesListed = 1000;

    public async Task<bool> Release(string leaseId)
    {
        var released = Tenant().Release(leaseId, time.GetUtcNow());
        if (released)
        {
            await CommitAsync(_tenant!);
        }

        // Also when the lease was already gone here: a release whose ancestor step failed can simply be retried.
        await ReleaseAboveAsync(_tenant?.Config.ParentId, ChildKey(leaseId));
        return released;
    }

    public async Task<bool> ReleaseClientLease(string leaseId)
    {
        RefuseServiceLease(leaseId, "it ends with that job or lease, so cancel the job or release the child's lease instead");
        return await Release(leaseId);
    }

    public async Task<LeaseRenewal> RenewClientLease(string leaseId, TimeSpan ttl)
    {
        RefuseServiceLease(leaseId, "the service renews it for as long as that job runs or that lease is renewed");
        return await Renew(leaseId, ttl);
    }

    private void RefuseServiceLease(string leaseId, string why)
    {
        if (Tenant().IsHeldForService(leaseId))
        {
            throw new QuotaValidationException(
                TenantErrors.LeaseHeldByService,
                $"Lease '{leaseId}' is held by the service, for a pool's running job or a child tenant's lease; {why}.");
        }
    }

    /// <summary>
    /// Renews a lease in every ancestor first: one that refuses (its quota has been over its soft limit past the
    /// grace) refuses the renewal, and nothing is renewed here, so a child's lease never outlives an ancestor's hold
    /// on its behalf. A renewal refused here after the ancestors renewed leaves their holds longer than the lease (by
    /// at most the time to live), on the safe side; but a lease that ran out meanwhile has its holds released above.
    /// </summary>
    public async Task<LeaseRenewal> Renew(string leaseId, TimeSpan ttl)
    {
        // Checked before the ancestors are asked, so that a TTL this tenant refuses changes nothing above either.
        LeaseBook.CheckTtl(ttl);
        // A lease not live here is not renewed, and nothing is asked of the ancestors, which would hold on for nothing.
        TenantId? askedAbove = null;
        var askedAt = time.GetUtcNow();
        if (Tenant().Config.ParentId is { } parent && Tenant().Gauges.IsLive(leaseId, askedAt))
        {
            askedAbove = parent;
            var (above, parentGone) = await RenewAboveAsync(parent, ChildKey(leaseId), ttl);
            if (RefusedAbove(above))
            {
                return above;
            }

            if (!above.Renewed && !parentGone && await HoldAboveIfCappedAsync(parent, leaseId, ChildKey(leaseId), ttl) is { } refused)
            {
                return refused;
            }
        }

        // A lease still live is renewed from the moment the ancestors were asked, not from their answer: each renewed
        // its hold from its own later moment, with a margin, so the lease ends before every hold for it however long
        // their writes took. (From the answer, an ancestor's write slower than the margin left the lease running past
        // the hold, uncounted above.) A renewal from then that ends before now (the ancestors took longer than the
        // whole time to live) ends the lease now, as one that ran out meanwhile does.
        var now = time.GetUtcNow();
        var renewal = Tenant().Renew(leaseId, ttl, askedAbove is not null && Tenant().Gauges.IsLive(leaseId, now) ? askedAt : now);
        if (renewal.Renewed && renewal.ExpiresAt <= now)
        {
            Tenant().ExpireDue(now);
            await CommitAsync(_tenant!);
            renewal = new LeaseRenewal(false, null, ReasonCodes.LeaseNotFound);
        }
        else if (renewal.Renewed)
        {
            await CommitAsync(_tenant!);
        }

        if (!renewal.Renewed && askedAbove is { } renewedAbove && !Tenant().Gauges.IsLive(leaseId, now))
        {
            // It ran out while the ancestors renewed their holds for it: the caller, told it is gone, acquires anew
            // rather than releases, and the holds would stand for a whole time to live for nothing.
            await ReleaseAboveQuietlyAsync(renewedAbove, ChildKey(leaseId));
        }

        return renewal;
    }
}
