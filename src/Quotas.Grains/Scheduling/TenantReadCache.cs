namespace Quotas.Grains.Scheduling;

/// <summary>
/// What a pool read from tenants' grains (their quota names, their tiers), kept for a few seconds per tenant so that
/// a burst of calls reads each tenant once. Bounded: beyond <see cref="TrimAbove"/> tenants, the expired entries are
/// dropped, and all of them when none has expired (it is only a cache, and a full scan per miss would cost more).
/// </summary>
internal sealed class TenantReadCache<T>(TimeProvider time, TimeSpan lifetime)
{
    private const int TrimAbove = 10_000;

    private readonly Dictionary<string, (T Value, DateTimeOffset At)> _entries = new(StringComparer.Ordinal);

    // When each tenant was last forgotten, by a count of forgets: a read that began before may have read what is gone.
    private readonly Dictionary<string, long> _forgotten = new(StringComparer.Ordinal);
    private long _forgets;

    /// <summary>Forgets what was read for a tenant, so that the next use reads it again, and a read under way is not kept.</summary>
    public void Forget(string tenant)
    {
        _entries.Remove(tenant);
        if (_forgotten.Count >= TrimAbove)
        {
            _forgotten.Clear(); // reads take seconds: a forget that old concerns none still under way
        }

        _forgotten[tenant] = ++_forgets;
    }

    /// <summary>
    /// What is kept for the tenant, or what <paramref name="read"/> reads, kept for the lifetime. A read that a
    /// <see cref="Forget"/> overtook (the tenant was deleted meanwhile) may be of the tenant that is gone, and a tenant
    /// created again under its id would get it: it is not kept, and the tenant is read once more. Overtaken true when
    /// that read was overtaken too (it is then not kept either). What the read throws goes to the caller.
    /// </summary>
    public async Task<(T Value, bool Overtaken)> ReadAsync(string tenant, Func<Task<T>> read)
    {
        if (TryGet(tenant, out var kept))
        {
            return (kept, false);
        }

        for (var attempt = 1; ; attempt++)
        {
            var forgets = _forgets;
            var readAt = time.GetUtcNow();
            var value = await read();
            if (!(_forgotten.TryGetValue(tenant, out var at) && at > forgets))
            {
                Remember(tenant, value, readAt);
                return (value, false);
            }

            if (attempt == 2)
            {
                return (value, true);
            }
        }
    }

    public bool TryGet(string tenant, out T value)
    {
        if (_entries.TryGetValue(tenant, out var entry) && time.GetUtcNow() - entry.At < lifetime)
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>Keeps <paramref name="value"/>, read at <paramref name="readAt"/> (when the read began), for the lifetime.</summary>
    private void Remember(string tenant, T value, DateTimeOffset readAt)
    {
        if (_entries.Count >= TrimAbove)
        {
            var before = _entries.Count;
            foreach (var (id, entry) in _entries)
            {
                if (readAt - entry.At >= lifetime)
                {
                    _entries.Remove(id);
                }
            }

            if (_entries.Count == before)
            {
                _entries.Clear();
            }
        }

        _entries[tenant] = (value, readAt);
    }
}
