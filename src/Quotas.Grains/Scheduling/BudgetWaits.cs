using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// Tenants whose next job a budget refused: held back until the budget's period resets, or until a recheck every
/// <paramref name="recheckEvery"/> finds room (its limit raised, the budget removed, the tenant deleted), rather than
/// tried again every few seconds, which would also let reclaim stop other tenants' jobs for capacity the tenant then
/// cannot take. A refusal no reset ends (a job larger than the budget's whole limit) holds for one recheck interval, so
/// that such a job cannot stop its tenant's others for good. A suspended tenant is held back the same way, for as long
/// as the rechecks read it suspended: no time ends a suspension, and reclaim stopping a borrower's job each time a
/// shorter hold ran out would keep that job from ever finishing. Stored with the pool (<see cref="TakeChanges"/>): a pool
/// activated again does not take a tenant its budget holds back for one that may run, and stop other tenants' jobs
/// for it.
/// </summary>
internal sealed class BudgetWaits(TimeProvider time, TimeSpan recheckEvery)
{
    private Dictionary<string, BudgetWait> _waits = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);

    /// <summary>Whether a budget holds the tenant back now.</summary>
    public bool Holds(string tenant) => _waits.TryGetValue(tenant, out var wait) && wait.Until > time.GetUtcNow();

    /// <summary>Holds the tenant back after a budget refused its <paramref name="job"/> (<paramref name="refusal"/>).</summary>
    public void Refused(string tenant, JobId job, string quota, long amount, AdmissionDecision refusal)
    {
        _waits[tenant] = For(refusal, job.Value, quota, amount);
        _changed.Add(tenant);
    }

    /// <summary>Forgets what holds a tenant back.</summary>
    public void Forget(string tenant)
    {
        if (_waits.Remove(tenant))
        {
            _changed.Add(tenant);
        }
    }

    public bool HasChanges => _changed.Count > 0;

    /// <summary>The waits changed since the last call, with what holds each tenant back now (null: nothing).</summary>
    public List<(string Tenant, BudgetWait? Wait)> TakeChanges()
    {
        var changes = _changed.Select(tenant => (tenant, _waits.GetValueOrDefault(tenant))).ToList();
        _changed.Clear();
        return changes;
    }

    public Dictionary<string, BudgetWait> Snapshot() => new(_waits, StringComparer.Ordinal);

    /// <summary>Puts back the stored waits (none: null), as after a failed write or on activation.</summary>
    public void Restore(IReadOnlyDictionary<string, BudgetWait>? waits)
    {
        _waits = waits is null ? new(StringComparer.Ordinal) : new(waits, StringComparer.Ordinal);
        _changed.Clear();
    }

    /// <summary>
    /// Asks again the budgets whose recheck is due (<paramref name="check"/>: tenant, quota, amount), and lets a tenant
    /// try at once when its budget has room again, or when the refused job is no longer queued (<paramref name="queued"/>:
    /// cancelled, say), since its next job may charge other budgets. A tenant that cannot be reached is asked at a later
    /// recheck; one whose budget or self is gone (a validation error) is held back no more.
    /// </summary>
    public async Task RecheckAsync(Func<JobId, bool> queued, Func<string, BudgetWait, Task<AdmissionDecision>> check)
    {
        var now = time.GetUtcNow();
        foreach (var (tenant, wait) in _waits.Where(w => w.Value.RecheckAt <= now).ToList())
        {
            BudgetWait? next;
            try
            {
                var room = wait.Until <= now || !queued(new JobId(wait.Job)) ? null : await check(tenant, wait);
                next = room is null || room.IsAllowed ? null : For(room, wait.Job, wait.Quota, wait.Amount);
            }
            catch (QuotaValidationException)
            {
                next = null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                next = wait with { RecheckAt = time.GetUtcNow() + recheckEvery };
            }

            // The pool is reentrant: a newer refusal meanwhile replaced this wait, and stays.
            if (_waits.TryGetValue(tenant, out var current) && current == wait)
            {
                if (next is null)
                {
                    _waits.Remove(tenant);
                }
                else
                {
                    _waits[tenant] = next;
                }

                _changed.Add(tenant);
            }
        }
    }

    private BudgetWait For(AdmissionDecision refusal, long job, string quota, long amount)
    {
        var now = time.GetUtcNow();
        if (refusal is AdmissionDecision.Deny { ReasonCode: ReasonCodes.TenantSuspended })
        {
            return new BudgetWait(DateTimeOffset.MaxValue, now + recheckEvery, job, quota, amount, Suspended: true);
        }

        var until = now + (refusal is AdmissionDecision.Deny { RetryAfter: { } untilReset } ? untilReset : recheckEvery);
        return new BudgetWait(until, now + recheckEvery, job, quota, amount);
    }
}

/// <summary>
/// A tenant held back by a budget (see <see cref="BudgetWaits"/>), as stored with its pool: until when at most, when to
/// ask the budget again, and for which job what the budget was asked. <paramref name="Suspended"/>: held back because
/// the tenant is suspended (a quota refused the job with <c>tenant_suspended</c>); a recheck asks whether it still is.
/// </summary>
public sealed record BudgetWait(DateTimeOffset Until, DateTimeOffset RecheckAt, long Job, string Quota, long Amount, bool Suspended = false);
