using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// Tenant leases set apart for release, by job: those of job leases that ended, whose release has not run yet or
/// failed. Stored with the pool (entries "unreleased/{job}", see <see cref="TakeChanges"/>, written with the removal of
/// what the job held), so that the sweep releases them also after a crash or a restart, rather than the tenant counting
/// them until their own TTL (twice the worker's lease, up to 7 days).
/// </summary>
internal sealed class SetApartLeases
{
    private readonly Dictionary<long, UnreleasedLeases> _byJob = [];
    private readonly HashSet<long> _changed = [];

    /// <summary>Jobs with tenant leases a release could not give back yet.</summary>
    public IReadOnlyCollection<long> Jobs => _byJob.Keys;

    public bool TryGet(long job, out UnreleasedLeases leases) => _byJob.TryGetValue(job, out leases!);

    /// <summary>The jobs of <paramref name="tenant"/> with leases set apart.</summary>
    public List<long> JobsOf(TenantId tenant) => [.. _byJob.Where(p => p.Value.Tenant == tenant).Select(p => p.Key)];

    /// <summary>Sets <paramref name="leases"/> apart for the job, with those set apart for it already.</summary>
    public void Add(long job, TenantId tenant, IEnumerable<string> leases)
    {
        _byJob[job] = new UnreleasedLeases(
            tenant, _byJob.TryGetValue(job, out var earlier) ? [.. earlier.LeaseIds.Union(leases, StringComparer.Ordinal)] : [.. leases]);
        _changed.Add(job);
    }

    /// <summary>Takes <paramref name="leases"/> out of what is set apart for the job (released, or held for it again).</summary>
    public void Remove(long job, IEnumerable<string> leases)
    {
        if (!_byJob.TryGetValue(job, out var left))
        {
            return;
        }

        var rest = left.LeaseIds.Except(leases, StringComparer.Ordinal).ToList();
        if (rest.Count == 0)
        {
            _byJob.Remove(job);
        }
        else
        {
            _byJob[job] = left with { LeaseIds = rest };
        }

        _changed.Add(job);
    }

    /// <summary>Forgets what is set apart for the job without releasing it (its tenant was deleted, with its leases).</summary>
    public void Drop(long job)
    {
        if (_byJob.Remove(job))
        {
            _changed.Add(job);
        }
    }

    /// <summary>Forgets everything: the pool is gone.</summary>
    public void Clear()
    {
        _byJob.Clear();
        _changed.Clear();
    }

    /// <summary>
    /// Joins what <paramref name="stored"/> holds to what memory holds, when memory goes back to storage: on activation
    /// that is all there is, and after a failed write memory may have released some since (released again: harmless).
    /// What memory has beyond storage is written with the next change.
    /// </summary>
    public void Restore(IReadOnlyDictionary<long, UnreleasedLeases>? stored)
    {
        stored ??= new Dictionary<long, UnreleasedLeases>();
        foreach (var (job, left) in stored)
        {
            Add(job, left.Tenant, left.LeaseIds);
        }

        _changed.Clear();
        foreach (var (job, left) in _byJob)
        {
            if (!stored.TryGetValue(job, out var was) || !was.LeaseIds.SequenceEqual(left.LeaseIds))
            {
                _changed.Add(job);
            }
        }
    }

    /// <summary>What is set apart, per job, as the pool stores it whole.</summary>
    public Dictionary<long, UnreleasedLeases> Snapshot() => _byJob.ToDictionary(p => p.Key, p => Copy(p.Value));

    /// <summary>The jobs whose leases set apart changed since the last call, with what is set apart now (null: nothing).</summary>
    public List<(long Job, UnreleasedLeases? Left)> TakeChanges()
    {
        var changes = new List<(long, UnreleasedLeases?)>(_changed.Count);
        foreach (var job in _changed)
        {
            changes.Add((job, _byJob.TryGetValue(job, out var left) ? Copy(left) : null));
        }

        _changed.Clear();
        return changes;
    }

    private static UnreleasedLeases Copy(UnreleasedLeases leases) => leases with { LeaseIds = [.. leases.LeaseIds] };
}
