namespace Quotas.Core.Tenants;

/// <summary>Bounded per-tenant feed of alerts: the newest <see cref="Capacity"/> are kept, numbered by a growing sequence.</summary>
public sealed class AlertFeed
{
    public const int Capacity = 32;

    private readonly Queue<QuotaAlert> _alerts = new();

    public long LastSequence { get; private set; }

    public IReadOnlyList<QuotaAlert> Items => _alerts.ToArray();

    /// <summary>Alerts after <paramref name="sequence"/>, for a poller that remembers where it was.</summary>
    public IReadOnlyList<QuotaAlert> After(long sequence) => _alerts.Where(a => a.Sequence > sequence).ToArray();

    internal void Add(DateTimeOffset at, QuotaKind kind, string quota, int threshold, long usage, long limit)
    {
        _alerts.Enqueue(new QuotaAlert(++LastSequence, at, kind, quota, threshold, usage, limit));
        while (_alerts.Count > Capacity)
        {
            _alerts.Dequeue();
        }
    }
}
