namespace Quotas.Core.Tenants;

/// <summary>
/// A bounded first-in-first-out memory of keys and their values; the oldest is forgotten when full. A key may also be
/// removed early; its place in the order is then skipped, and the order is compacted once skipped places could make up
/// half of it.
/// </summary>
internal sealed class RecentKeys<TValue>
{
    private readonly int _capacity;
    private readonly Dictionary<string, (TValue Value, long Place)> _values = new(StringComparer.Ordinal);
    private Queue<(string Key, long Place)> _order = new();
    private long _nextPlace;

    public RecentKeys(int capacity)
    {
        _capacity = capacity;
    }

    public int Count => _values.Count;

    public bool TryGet(string key, out TValue value)
    {
        var found = _values.TryGetValue(key, out var entry);
        value = entry.Value;
        return found;
    }

    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>Adds a key not yet present; returns false (and changes nothing) when it is.</summary>
    public bool Add(string key, TValue value)
    {
        if (!_values.TryAdd(key, (value, _nextPlace)))
        {
            return false;
        }

        _order.Enqueue((key, _nextPlace++));
        while (_values.Count > _capacity)
        {
            var (oldest, place) = _order.Dequeue();
            if (IsCurrent(oldest, place))
            {
                _values.Remove(oldest);
            }
        }

        return true;
    }

    /// <summary>Forgets a key before its turn; false when it is not held.</summary>
    public bool Remove(string key)
    {
        if (!_values.Remove(key))
        {
            return false;
        }

        if (_order.Count > (2 * _values.Count) + 64)
        {
            _order = new Queue<(string, long)>(_order.Where(entry => IsCurrent(entry.Key, entry.Place)));
        }

        return true;
    }

    /// <summary>Oldest first, as persisted.</summary>
    public IEnumerable<KeyValuePair<string, TValue>> InOrder()
    {
        foreach (var (key, place) in _order)
        {
            if (IsCurrent(key, place))
            {
                yield return new(key, _values[key].Value);
            }
        }
    }

    // A place left behind by a removed key (possibly added again since, at a later place) is not the key's current one.
    private bool IsCurrent(string key, long place) => _values.TryGetValue(key, out var entry) && entry.Place == place;
}
