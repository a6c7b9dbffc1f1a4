namespace Quotas.Core.Tenants;

/// <summary>
/// Bounded per-tenant feed of alerts: the newest <see cref="Capacity"/> are kept, numbered by a growing sequence. The
/// feed lives in memory only (an activation of the tenant starts an empty one), so a sequence is the alert's time in
/// microseconds since the Unix epoch, or one more than the sequence before when that is larger: the alerts of a later
/// activation number above those of an earlier one, and a poller or stream that remembers the last it saw (a cursor,
/// Last-Event-ID) neither misses the new alerts nor takes them for ones it saw, as long as the silos' clocks agree to
/// within the time between the activations. Sequences are not dense.
/// </summary>
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
        LastSequence = Math.Max(LastSequence + 1, (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        _alerts.Enqueue(new QuotaAlert(LastSequence, at, kind, quota, threshold, usage, limit));
        while (_alerts.Count > Capacity)
        {
            _alerts.Dequeue();
        }
    }
}
