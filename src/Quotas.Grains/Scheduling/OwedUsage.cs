using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// Completed jobs whose usage the pool has not yet recorded in their tenants' budgets. A completion is stored with its
/// debt in one write, before it is answered; the debt is paid after (<see cref="TenantAdmission.RecordUsageAsync"/>),
/// and only once stored (a completion whose write fails is undone, and so is its debt), and forgotten once paid. A
/// tenant that could not be reached, or a crash between the two, delays the charge but never loses it: a retried
/// report, the pool's sweep and the next activation pay what is still owed. Paying twice is harmless: the tenant
/// remembers the job's charges until the pool tells it that a debt is paid and stored (<see cref="TakeSettled"/>).
/// </summary>
internal sealed class OwedUsage
{
    private Dictionary<long, JobInfo> _owed = [];
    private readonly HashSet<long> _changed = [];
    private readonly HashSet<long> _unstored = [];

    /// <summary>Settled debts kept for telling their tenants at most; beyond, the oldest are not told (see BudgetLedger).</summary>
    private const int MaxSettled = 8192;

    // Paid debts whose removal is not stored yet (a failed write makes them owed again), then those stored, which the
    // pool may tell their tenants it will not charge again. In memory only: a pool that stops before telling leaves
    // the tenant remembering them, within its bound. A debt is settled only once no payment of it is in flight: the
    // pool is reentrant, and a report retried while the sweep pays may still be sending its charges.
    private readonly Dictionary<long, JobInfo> _paidUnstored = [];
    private readonly Dictionary<long, int> _paying = [];
    private readonly Dictionary<long, JobInfo> _storedWhilePaying = [];
    private List<JobInfo> _settled = [];

    public int Count => _owed.Count;

    public bool Owes(JobId job) => _owed.ContainsKey(job.Value);

    /// <summary>The stored debts, oldest job first, at most <paramref name="count"/>.</summary>
    public List<JobInfo> Oldest(int count) =>
        [.. _owed.Values.Where(job => !_unstored.Contains(job.Id.Value)).OrderBy(job => job.Id.Value).Take(count)];

    /// <summary>The debt of a job, once stored.</summary>
    public bool TryGetStored(JobId job, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out JobInfo owed) =>
        _owed.TryGetValue(job.Value, out owed) && !_unstored.Contains(job.Value);

    /// <summary>Notes that a write which held these debts (from <see cref="TakeChanges"/>) succeeded.</summary>
    public void Stored(IEnumerable<long> jobs)
    {
        foreach (var job in jobs)
        {
            _unstored.Remove(job);
            if (_paidUnstored.Remove(job, out var paid) && !_owed.ContainsKey(job))
            {
                if (_paying.ContainsKey(job))
                {
                    _storedWhilePaying[job] = paid;
                }
                else
                {
                    Settle(paid);
                }
            }
        }
    }

    /// <summary>A payment of the job's debt starts; each is ended by <see cref="DonePaying"/>, however it ends.</summary>
    public void Paying(JobId job) => _paying[job.Value] = _paying.GetValueOrDefault(job.Value) + 1;

    public void DonePaying(JobId job)
    {
        if (_paying[job.Value] > 1)
        {
            _paying[job.Value]--;
            return;
        }

        _paying.Remove(job.Value);
        if (_storedWhilePaying.Remove(job.Value, out var paid) && !_owed.ContainsKey(job.Value))
        {
            Settle(paid);
        }
    }

    /// <summary>Debts paid and stored as paid since the last call: their charges will never be sent again.</summary>
    public List<JobInfo> TakeSettled()
    {
        var settled = _settled;
        _settled = [];
        return settled;
    }

    /// <summary>Puts back settled debts whose tenants could not be told, for the next sweep.</summary>
    public void ReturnSettled(IEnumerable<JobInfo> settled)
    {
        foreach (var job in settled)
        {
            Settle(job);
        }
    }

    private void Settle(JobInfo job)
    {
        _settled.Add(job);
        if (_settled.Count > MaxSettled)
        {
            _settled.RemoveRange(0, _settled.Count - MaxSettled);
        }
    }

    /// <summary>Owes the usage of a job that just completed; stored with the pool's next write.</summary>
    public void Owe(JobInfo job)
    {
        _owed[job.Id.Value] = job;
        _changed.Add(job.Id.Value);
        _unstored.Add(job.Id.Value);
    }

    /// <summary>Forgets a debt once paid, unless it was replaced meanwhile.</summary>
    public void Paid(JobInfo job)
    {
        if (_owed.TryGetValue(job.Id.Value, out var owed) && ReferenceEquals(owed, job))
        {
            _owed.Remove(job.Id.Value);
            _changed.Add(job.Id.Value);
            _unstored.Remove(job.Id.Value);
            _paidUnstored[job.Id.Value] = job;
        }
    }

    /// <summary>The debts of <paramref name="tenant"/>, oldest job first.</summary>
    public List<JobInfo> OfTenant(TenantId tenant) => [.. _owed.Values.Where(job => job.Tenant == tenant).OrderBy(job => job.Id.Value)];

    /// <summary>Forgets a debt its tenant charged itself (it is being deleted); false when there was none.</summary>
    public bool Drop(JobId job, TenantId tenant)
    {
        if (!_owed.TryGetValue(job.Value, out var owed) || owed.Tenant != tenant)
        {
            return false;
        }

        _owed.Remove(job.Value);
        _changed.Add(job.Value);
        _unstored.Remove(job.Value);
        return true;
    }

    public Dictionary<long, JobInfo> Snapshot() => new(_owed);

    public void Restore(Dictionary<long, JobInfo>? owed)
    {
        _owed = owed is null ? [] : new(owed);
        _changed.Clear();
        _unstored.Clear();

        // Paid debts not stored as paid are owed again; those stored as paid (settled, or waiting for a payment in
        // flight to end) stay as they are.
        _paidUnstored.Clear();
    }

    /// <summary>The debts changed since the last call, with what is owed now (null: nothing).</summary>
    public List<(long Job, JobInfo? Owed)> TakeChanges()
    {
        var changes = new List<(long, JobInfo?)>(_changed.Count);
        foreach (var job in _changed)
        {
            changes.Add((job, _owed.GetValueOrDefault(job)));
        }

        _changed.Clear();
        return changes;
    }
}
