using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// Tenants whose next job a budget refused: held back until the budget's period resets, or until a recheck every
/// <paramref name="recheckEvery"/> finds room (its limit raised, the budget removed, the tenant deleted), rather than
/// tried again every few seconds, which would also let reclaim stop other tenants' jobs for capacity the tenant then
/// cannot take. A refusal no reset ends (a job larger than the budget's whole limit) holds for one recheck interval, so
/// that such a job cannot stop its tenant's others for good.
/// </summary>
internal sealed class BudgetWaits(TimeProvider time, TimeSpan recheckEvery)
{
    private readonly Dictionary<string, Wait> _waits = new(StringComparer.Ordinal);

    /// <summary>Whether a budget holds the tenant back now.</summary>
    public bool Holds(string tenant) => _waits.TryGetValue(tenant, out var wait) && wait.Until > time.GetUtcNow();

    /// <summary>Holds the tenant back after a budget refused its <paramref name="job"/> (<paramref name="refusal"/>).</summary>
    public void Refused(string tenant, JobId job, string quota, long amount, AdmissionDecision refusal) =>
        _waits[tenant] = For(refusal, job, quota, amount);

    /// <summary>Forgets what holds a tenant back.</summary>
    public void Forget(string tenant) => _waits.Remove(tenant);

    /// <summary>
    /// Asks again the budgets whose recheck is due (<paramref name="check"/>: tenant, quota, amount), and lets a tenant
    /// try at once when its budget has room again, or when the refused job is no longer queued (<paramref name="queued"/>:
    /// cancelled, say), since its next job may charge other budgets. A tenant that cannot be reached is asked at a later
    /// recheck; one whose budget or self is gone (a validation error) is held back no more.
    /// </summary>
    public async Task RecheckAsync(Func<JobId, bool> queued, Func<string, string, long, Task<AdmissionDecision>> check)
    {
        var now = time.GetUtcNow();
        foreach (var (tenant, wait) in _waits.Where(w => w.Value.RecheckAt <= now).ToList())
        {
            Wait? next;
            try
            {
                var room = wait.Until <= now || !queued(wait.Job) ? null : await check(tenant, wait.Quota, wait.Amount);
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
            }
        }
    }

    private Wait For(AdmissionDecision refusal, JobId job, string quota, long amount)
    {
        var now = time.GetUtcNow();
        var until = now + (refusal is AdmissionDecision.Deny { RetryAfter: { } untilReset } ? untilReset : recheckEvery);
        return new Wait(until, now + recheckEvery, job, quota, amount);
    }

    /// <summary>Until when at most, when to ask again, and for which job what the budget was asked.</summary>
    private sealed record Wait(DateTimeOffset Until, DateTimeOffset RecheckAt, JobId Job, string Quota, long Amount);
}
