namespace Quotas.Core.Tenants;

/// <summary>Counts refused checks (Queue or Deny) per quota since activation.</summary>
internal sealed class ViolationCounter
{
    private Dictionary<(QuotaKind, string), long>? _counts;

    /// <summary>Refusals of the quota refused last, not yet in <see cref="_counts"/>: a tenant over its limit is refused
    /// again and again for the same quota, and counting those needs no hashing.</summary>
    private QuotaKind _lastKind;
    private string? _lastQuota;
    private long _lastPending;

    public long Total { get; private set; }

    public void Add(QuotaKind kind, string quota)
    {
        Total++;
        if (kind == _lastKind && ReferenceEquals(quota, _lastQuota))
        {
            _lastPending++;
            return;
        }

        Flush();
        _lastKind = kind;
        _lastQuota = quota;
        _lastPending = 1;
    }

    public long Of(QuotaKind kind, string quota)
    {
        Flush();
        return _counts is not null && _counts.TryGetValue((kind, quota), out var n) ? n : 0;
    }

    public IEnumerable<(QuotaKind Kind, string Quota, long Count)> All()
    {
        Flush();
        return _counts?.Select(p => (p.Key.Item1, p.Key.Item2, p.Value)) ?? [];
    }

    public void Restore(QuotaKind kind, string quota, long count)
    {
        Flush();
        _counts ??= new();
        _counts[(kind, quota)] = count;
        Total += count;
    }

    private void Flush()
    {
        if (_lastPending == 0)
        {
            return;
        }

        _counts ??= new();
        var key = (_lastKind, _lastQuota!);
        _counts[key] = (_counts.TryGetValue(key, out var n) ? n : 0) + _lastPending;
        _lastPending = 0;
    }
}
