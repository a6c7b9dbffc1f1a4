namespace Quotas.Core.Tenants;

/// <summary>A bounded first-in-first-out memory of keys and their values; the oldest is forgotten when full.</summary>
internal sealed class RecentKeys<TValue>
{
    private readonly int _capacity;
    private readonly Dictionary<string, TValue> _values = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public RecentKeys(int capacity)
    {
        _capacity = capacity;
    }

    public int Count => _values.Count;

    public bool TryGet(string key, out TValue value) => _values.TryGetValue(key, out value!);

    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>Adds a key not yet present; returns false (and changes nothing) when it is.</summary>
    public bool Add(string key, TValue value)
    {
        if (!_values.TryAdd(key, value))
        {
            return false;
        }

        _order.Enqueue(key);
        while (_order.Count > _capacity)
        {
            _values.Remove(_order.Dequeue());
        }

        return true;
    }

    /// <summary>Oldest first, as persisted.</summary>
    public IEnumerable<KeyValuePair<string, TValue>> InOrder()
    {
        foreach (var key in _order)
        {
            yield return new(key, _values[key]);
        }
    }
}
