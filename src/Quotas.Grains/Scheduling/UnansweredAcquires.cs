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

    /// <summary>
    /// Asks again for a batch of them under their keys and releases what is granted. A tenant that does not answer is
    /// asked no more in this sweep, nor are the others past the batch: the sweep also takes back the leases of workers
    /// gone, which a tenant out of reach (each call waiting for its timeout) must not hold up.
    /// </summary>
    public async Task UndoAsync(Func<Core.Scheduling.TenantId, ITenantGrain> tenantOf)
    {
        const int Batch = 16;
        var failed = new HashSet<Core.Scheduling.TenantId>();
        var asked = 0;
        foreach (var unanswered in _pending.ToList())
        {
            if (unanswered.RunsOutAt <= time.GetUtcNow())
            {
                _pending.Remove(unanswered);
                continue;
            }

            if (asked == Batch || failed.Contains(unanswered.Tenant))
            {
                continue;
            }

            asked++;
            try
            {
                var tenant = tenantOf(unanswered.Tenant);
                // Bounded as the pool's other tenant calls (TenantAdmission.TenantCallTimeout): the sweep waits on each.
                var asking = tenant.Acquire(unanswered.Quota, unanswered.Amount, unanswered.Ttl, unanswered.Key);
                if (await asking.WaitAsync(TenantAdmission.TenantCallTimeout, time) is AdmissionDecision.Allow { LeaseId: { } leaseId })
                {
                    await tenant.Release(leaseId).WaitAsync(TenantAdmission.TenantCallTimeout, time);
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
                failed.Add(unanswered.Tenant);
            }
        }
    }

    private sealed record Unanswered(Core.Scheduling.TenantId Tenant, string Quota, long Amount, TimeSpan Ttl, string Key, DateTimeOffset RunsOutAt);
}
