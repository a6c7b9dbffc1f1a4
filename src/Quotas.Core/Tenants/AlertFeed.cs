namespace Quotas.Core.Tenants;

/// <summary>
/// Bounded per-tenant feed of alerts: the newest <see cref="Capacity"/> are kept, numbered by a growing sequence. The
/// feed is stored with the tenant, but an alert raised by a call that writes nothing (a rate hit) is stored only by the
/// next write (the tenant's grain writes within a second), and a crash before it loses it; so that its number is never
/// given again, a sequence is the alert's time in
/// microseconds since the Unix epoch, or one more than the sequence before when that is larger: the alerts of a later
/// activation number above those of an earlier one, and a poller or stream that remembers the last it saw (a cursor,
/// Last-Event-ID) neither misses the new alerts nor takes them for ones it saw, as long as the silos' clocks agree to
/// within the time between the activations. Sequences are not dense.
/// </summary>
public sealed class AlertFeed
{
    public const int Capacity = 32;

    private readonly Queue<QuotaAlert> _alerts = new();

    /// <summary>The highest number given, also to an alert no longer kept (left out after a failed write): numbering goes on above it.</summary>
    public long LastSequence { get; private set; }

    /// <summary>The number of the newest alert kept; 0 when none is.</summary>
    public long NewestSequence => _alerts.Count == 0 ? 0 : _alerts.Last().Sequence;

    public IReadOnlyList<QuotaAlert> Items => _alerts.ToArray();

    /// <summary>The feed as stored with the tenant, oldest first (one copy: it is part of every write).</summary>
    internal List<QuotaAlert> ToSnapshot() => [.. _alerts];

    /// <summary>Alerts after <paramref name="sequence"/>, for a poller that remembers where it was.</summary>
    public IReadOnlyList<QuotaAlert> After(long sequence) => _alerts.Where(a => a.Sequence > sequence).ToArray();

    /// <summary>Takes a stored feed back (its newest <see cref="Capacity"/>); numbering goes on above it. Rows of earlier releases have none.</summary>
    internal void Restore(IReadOnlyList<QuotaAlert>? stored)
    {
        foreach (var alert in (stored ?? []).Where(a => a is not null && a.Sequence > 0).OrderBy(a => a.Sequence).TakeLast(Capacity))
        {
            if (alert.Sequence > LastSequence)
            {
                _alerts.Enqueue(alert);
                LastSequence = alert.Sequence;
            }
        }

        while (_alerts.Count > Capacity)
        {
            _alerts.Dequeue();
        }
    }

    /// <summary>
    /// Takes over the alerts of <paramref name="kind"/> that <paramref name="previous"/> (memory put back to this stored
    /// feed after a failed write) raised since this feed was stored; numbering goes on above every alert it gave, so
    /// that none left out is numbered again.
    /// </summary>
    internal void TakeUnstored(AlertFeed previous, QuotaKind kind)
    {
        var stored = LastSequence;
        foreach (var alert in previous._alerts)
        {
            if (alert.Sequence > stored && alert.Kind == kind)
            {
                _alerts.Enqueue(alert);
            }
        }

        while (_alerts.Count > Capacity)
        {
            _alerts.Dequeue();
        }

        LastSequence = Math.Max(LastSequence, previous.LastSequence);
    }

    /// <summary>
    /// Drops the alerts numbered above <paramref name="sequence"/>: those of a change taken back before anyone could read
    /// them (a lease an ancestor refused). Their numbers are not given again.
    /// </summary>
    internal void DropAfter(long sequence)
    {
        if (NewestSequence <= sequence)
        {
            return;
        }

        var kept = _alerts.Where(a => a.Sequence <= sequence).ToList();
        _alerts.Clear();
        foreach (var alert in kept)
        {
            _alerts.Enqueue(alert);
        }
    }

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
