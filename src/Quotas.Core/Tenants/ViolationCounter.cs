namespace Quotas.Core.Tenants;

/// <summary>Counts refused checks (Queue or Deny) per quota since activation.</summary>
internal sealed class ViolationCounter
{
    private Dictionary<(QuotaKind, string), long>? _counts;

    public long Total { get; private set; }

    public void Add(QuotaKind kind, string quota)
    {
        _counts ??= new();
        _counts[(kind, quota)] = Of(kind, quota) + 1;
        Total++;
    }

    public long Of(QuotaKind kind, string quota) =>
        _counts is not null && _counts.TryGetValue((kind, quota), out var n) ? n : 0;

    public IEnumerable<(QuotaKind Kind, string Quota, long Count)> All() =>
        _counts?.Select(p => (p.Key.Item1, p.Key.Item2, p.Value)) ?? [];

    public void Restore(QuotaKind kind, string quota, long count)
    {
        _counts ??= new();
        _counts[(kind, quota)] = count;
        Total += count;
    }
}
