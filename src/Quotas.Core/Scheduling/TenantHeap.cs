namespace Quotas.Core.Scheduling;

/// <summary>
/// Indexed binary min-heap of tenants with queued jobs, by weighted share; keys update in place. Keys are copied into
/// the entries, and positions are kept in an array by tenant ordinal, so sifting through 10,000 tenants neither reads
/// nor writes the tenants' own objects.
/// </summary>
internal sealed class TenantHeap
{
    private Entry[] _items = new Entry[16];
    private int[] _positions = [];

    public int Count { get; private set; }

    public TenantState this[int index] => _items[index].Tenant;

    public bool Contains(TenantState tenant) => IndexOf(tenant) >= 0;

    private int IndexOf(TenantState tenant) => tenant.Ordinal < _positions.Length ? _positions[tenant.Ordinal] : -1;

    private void SetIndex(int ordinal, int index)
    {
        if (ordinal >= _positions.Length)
        {
            var old = _positions.Length;
            Array.Resize(ref _positions, Math.Max(ordinal + 1, old * 2));
            _positions.AsSpan(old).Fill(-1);
        }

        _positions[ordinal] = index;
    }

    public void Add(TenantState tenant)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Count * 2);
        }

        _items[Count] = new Entry(tenant);
        SetIndex(tenant.Ordinal, Count);
        Count++;
        Up(Count - 1);
    }

    public TenantState Pop()
    {
        var top = _items[0].Tenant;
        RemoveAt(0);
        return top;
    }

    public void Remove(TenantState tenant)
    {
        var index = IndexOf(tenant);
        if (index >= 0)
        {
            RemoveAt(index);
        }
    }

    /// <summary>Restores order after <paramref name="tenant"/>'s key changed.</summary>
    public void Update(TenantState tenant)
    {
        var index = IndexOf(tenant);
        if (index >= 0)
        {
            _items[index] = new Entry(tenant);
            Down(Up(index));
        }
    }

    public void Rebuild()
    {
        for (var i = 0; i < Count; i++)
        {
            _items[i] = new Entry(_items[i].Tenant);
        }

        for (var i = (Count / 2) - 1; i >= 0; i--)
        {
            Down(i);
        }
    }

    private void RemoveAt(int index)
    {
        _positions[_items[index].Ordinal] = -1;
        Count--;
        if (index == Count)
        {
            _items[Count] = default;
            return;
        }

        _items[index] = _items[Count];
        _positions[_items[index].Ordinal] = index;
        _items[Count] = default;
        Down(Up(index));
    }

    private static bool Less(in Entry a, in Entry b)
    {
        if (a.ShareKey != b.ShareKey)
        {
            return a.ShareKey < b.ShareKey;
        }

        return a.ServedStamp != b.ServedStamp ? a.ServedStamp < b.ServedStamp : a.Ordinal < b.Ordinal;
    }

    private int Up(int index)
    {
        var item = _items[index];
        while (index > 0)
        {
            var parent = (index - 1) / 2;
            if (!Less(item, _items[parent]))
            {
                break;
            }

            _items[index] = _items[parent];
            _positions[_items[index].Ordinal] = index;
            index = parent;
        }

        _items[index] = item;
        _positions[item.Ordinal] = index;
        return index;
    }

    private void Down(int index)
    {
        var item = _items[index];
        while (true)
        {
            var child = (2 * index) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Less(_items[child + 1], _items[child]))
            {
                child++;
            }

            if (!Less(_items[child], item))
            {
                break;
            }

            _items[index] = _items[child];
            _positions[_items[index].Ordinal] = index;
            index = child;
        }

        _items[index] = item;
        _positions[item.Ordinal] = index;
    }

    private readonly struct Entry
    {
        public Entry(TenantState tenant)
        {
            Tenant = tenant;
            ShareKey = tenant.ShareKey;
            ServedStamp = tenant.ServedStamp;
            Ordinal = tenant.Ordinal;
        }

        public TenantState Tenant { get; }

        public double ShareKey { get; }

        public long ServedStamp { get; }

        public int Ordinal { get; }
    }
}
