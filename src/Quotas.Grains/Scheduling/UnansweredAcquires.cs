using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// Tenant lease acquisitions whose answer never came (a call timeout, a lost connection): the tenant may have granted
/// the lease all the same, and nothing would release it, since the job goes back to the queue and its next lease asks
/// under new keys. The pool's sweep asks again under the same key, which answers the lease granted for it (or grants
/// one, or refuses), and releases what it gets. Kept until that succeeds, or until such a lease would have run out on
/// its own; in memory only, so a pool activated again leaves them to their time to live.
/// </summary>
internal sealed class UnansweredAcquires(TimeProvider time)
{
    /// <summary>Most kept at once; past it the oldest are left to run out on their own.</summary>
    private const int Max = 10_000;

    private readonly List<Unanswered> _pending = [];

    public int Count => _pending.Count;

    public void Add(Core.Scheduling.TenantId tenant, string quota, long amount, TimeSpan ttl, string key)
    {
        if (_pending.Count == Max)
        {
            _pending.RemoveAt(0);
        }

        _pending.Add(new Unanswered(tenant, quota, amount, ttl, key, time.GetUtcNow() + ttl));
    }

    /// <summary>Asks again for each under its key and releases what is granted; a tenant out of reach is asked at the next sweep.</summary>
    public async Task UndoAsync(Func<Core.Scheduling.TenantId, ITenantGrain> tenantOf)
    {
        foreach (var unanswered in _pending.ToList())
        {
            if (unanswered.RunsOutAt <= time.GetUtcNow())
            {
                _pending.Remove(unanswered);
                continue;
            }

            try
            {
                var tenant = tenantOf(unanswered.Tenant);
                if (await tenant.Acquire(unanswered.Quota, unanswered.Amount, unanswered.Ttl, unanswered.Key) is AdmissionDecision.Allow { LeaseId: { } leaseId })
                {
                    await tenant.Release(leaseId);
                }

                _pending.Remove(unanswered);
            }
            catch (QuotaValidationException)
            {
                // The tenant or its quota is gone, or it refuses the request for good: it holds nothing for it.
                _pending.Remove(unanswered);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Still out of reach: the next sweep asks again.
            }
        }
    }

    private sealed record Unanswered(Core.Scheduling.TenantId Tenant, string Quota, long Amount, TimeSpan Ttl, string Key, DateTimeOffset RunsOutAt);
}
