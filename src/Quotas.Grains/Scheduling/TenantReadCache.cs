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

    /// <summary>The count of forgets so far; taken when a read begins, for <see cref="ForgottenSince"/>.</summary>
    public long Forgets => _forgets;

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

    /// <summary>Whether the tenant was forgotten after <paramref name="forgets"/> (<see cref="Forgets"/> as a read began).</summary>
    public bool ForgottenSince(string tenant, long forgets) => _forgotten.TryGetValue(tenant, out var at) && at > forgets;

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
    public void Remember(string tenant, T value, DateTimeOffset readAt)
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
