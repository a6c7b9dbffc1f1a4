namespace Quotas.Core.Tenants;

/// <summary>A bucketed sliding window counter (bucket sum, not weighted previous window).</summary>
/// <remarks>
/// The window is split into N equal buckets aligned on absolute UTC time (bucket k covers [k·w/N, (k+1)·w/N)). The count at
/// <c>now</c> is the exact sum of the bucket holding <c>now</c> and the N-1 before it, so it covers between window - w/N and the
/// full window: it never admits more than the limit in any span of N whole buckets, and a unit leaves the count when its bucket
/// leaves, at most w/N early. Memory: N longs (inside the object up to 16 buckets) plus a few fields. Time going back by up to a bucket counts into the newest bucket; by more, the ring is renumbered from the new time, each unit keeping its age (see Rewind).
/// The hot path divides nothing: a check inside the current bucket compares one tick count, and the ring is walked by
/// stepping a slot index rather than by taking bucket numbers modulo N.
/// </remarks>
public sealed class SlidingWindowCounter
{
    /// <summary>Windows of up to this many buckets keep their counts inside the object: one allocation, adjacent lines.</summary>
    private const int InlineBuckets = 16;

    private readonly long _bucketTicks;
    private readonly int _buckets;
    private long[]? _heapCounts; // replaced only by Copy, in the copy
    private InlineCounts _inlineCounts;

    /// <summary>The newest bucket's number, its slot in <see cref="Counts"/>, and the tick at which the next bucket starts.</summary>
    private long _head;
    private int _headSlot;
    private long _nextBucketTicks;
    private long _total;

    /// <summary>The oldest bucket that still counts something (meaningful while <see cref="_total"/> is above zero), kept
    /// up to date so that the reset time needs no walk over the buckets.</summary>
    private long _oldest;

    /// <summary>The bucket the last <see cref="Add"/> went into (the newest then, also when the clock had gone back).</summary>
    private long _lastAdded;

    /// <summary>UTC ticks when the count first went above a soft limit (0: not above); kept here to save an array per tenant.</summary>
    internal long OverSinceTicks;

    /// <summary>
    /// UTC ticks before which a soft limit starts no new burst (0: no wait): a whole window after the count, taken above the
    /// limit by the last burst, is back at it. Set by <see cref="HoldBurstsAbove"/>. Without it a burst would start again as
    /// soon as the refusals that end one let the window drain, and a tenant hitting without pause would be held well above
    /// its limit for good, a burst in every window.
    /// </summary>
    internal long BurstsResumeAtTicks;

    /// <summary>The soft-limit state before the hit being decided (see <see cref="RememberSoftState"/>), put back by <see cref="TakeBackLast"/>.</summary>
    private long _overSinceBeforeLast;
    private long _burstsResumeBeforeLast;

    public SlidingWindowCounter(TimeSpan window, int buckets)
    {
        _bucketTicks = window.Ticks / buckets;
        _buckets = buckets;
        _heapCounts = buckets > InlineBuckets ? new long[buckets] : null;
        _nextBucketTicks = _bucketTicks;
    }

    /// <summary>
    /// A window that counts on apart from this one, from what this one counts now: a configuration change works on a
    /// copy (see RateBook.CarryOver), so that the tenant it replaces keeps its window as it was should the change fail
    /// to store.
    /// </summary>
    internal SlidingWindowCounter Copy()
    {
        var copy = (SlidingWindowCounter)MemberwiseClone();
        copy._heapCounts = _heapCounts?.ToArray();
        return copy;
    }

    private Span<long> Counts => _heapCounts is { } heap ? heap : ((Span<long>)_inlineCounts)[.._buckets];

    /// <summary>Units counted in the window ending at <paramref name="now"/>.</summary>
    public long Count(DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        return _total;
    }

    public void Add(long units, DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        if (_total == 0)
        {
            _oldest = _head;
        }

        Counts[_headSlot] += units;
        _total += units;
        _lastAdded = _head;
    }

    /// <summary>Notes the soft-limit state before a hit is decided, so that taking the hit back puts it back too.</summary>
    internal void RememberSoftState() => (_overSinceBeforeLast, _burstsResumeBeforeLast) = (OverSinceTicks, BurstsResumeAtTicks);

    /// <summary>
    /// Takes back <paramref name="units"/> of the last <see cref="Add"/> (a hit that an ancestor refused, see
    /// <c>TenantQuotas.TakeBackRate</c>), from the bucket it went into; nothing once that bucket has left the window.
    /// A burst the hit started, or the wait for the next one it set, is taken back with it, also once its units have
    /// left the window (the refusal came late): the hit never counted.
    /// </summary>
    public void TakeBackLast(long units, DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        (OverSinceTicks, BurstsResumeAtTicks) = (_overSinceBeforeLast, _burstsResumeBeforeLast);
        var age = _head - _lastAdded;
        if (units <= 0 || age >= _buckets)
        {
            return;
        }

        var counts = Counts;
        var slot = (int)((_headSlot - age + _buckets) % _buckets);
        var taken = Math.Min(units, counts[slot]);
        counts[slot] -= taken;
        _total -= taken;

        // The oldest counted bucket stays as it was: nothing was added since, so the last bucket added to is the
        // newest that counts anything, and the oldest only when it is the only one (emptied, nothing counts).
    }

    /// <summary>
    /// After an admission left the count above a soft <paramref name="limit"/>: no new burst starts until the count, if
    /// nothing more is added above the limit, has been back at the limit for a whole window.
    /// </summary>
    internal void HoldBurstsAbove(long limit, DateTimeOffset now)
    {
        var backAtLimit = now.UtcTicks + TimeUntilFreed(_total - limit, now).Ticks;
        BurstsResumeAtTicks = Math.Max(BurstsResumeAtTicks, backAtLimit + (_bucketTicks * _buckets));
    }

    /// <summary>Time until at least <paramref name="units"/> have left the window (zero when none need to).</summary>
    public TimeSpan TimeUntilFreed(long units, DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        if (units <= 0)
        {
            return TimeSpan.Zero;
        }

        // Bucket (head - n + 1 + i) leaves at the start of bucket (head + 1 + i); when even the whole window is not
        // enough, the newest bucket's leaving is the latest answer there is.
        var reached = OldestReaching(units);
        return Until(_head + 1 + (reached < 0 ? _buckets - 1 : reached), now);
    }

    /// <summary>Time until the oldest counted unit leaves the window (when remaining next grows); zero when empty.</summary>
    public TimeSpan ResetAfter(DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        return _total == 0 ? TimeSpan.Zero : Until(_oldest + _buckets, now);
    }

    /// <summary>
    /// The quota's limit changed to <paramref name="limit"/> while the window keeps its counts. The wait for the next
    /// burst was worked out against the old limit: within the new limit the count may start a burst when it needs one
    /// (a raised limit would otherwise refuse a burst it allows); above it, a wait under way goes on, worked out again
    /// against the new limit, and otherwise the count is over from the change, as a gauge's or a budget's usage is, so
    /// its burst counts from now (a lowered limit must not open a burst the old one had ended). A burst under way goes
    /// on and ends by the new limit.
    /// </summary>
    internal void LimitChanged(QuotaLimit limit, DateTimeOffset now)
    {
        var waiting = OverSinceTicks == 0 && BurstsResumeAtTicks > now.UtcTicks;
        BurstsResumeAtTicks = 0;
        if (limit.Type != LimitType.Soft || Count(now) <= limit.Limit)
        {
            return;
        }

        if (!waiting && OverSinceTicks == 0)
        {
            OverSinceTicks = now.UtcTicks;
        }

        HoldBurstsAbove(limit.Limit, now);
    }

    /// <summary>What the window counts, to hand over to the tenant's next activation; null when it holds nothing that matters.</summary>
    internal RateCountsSnapshot? Save(QuotaDefinition quota, DateTimeOffset now)
    {
        Advance(now.UtcTicks);
        if (_total == 0 && OverSinceTicks == 0 && BurstsResumeAtTicks <= now.UtcTicks)
        {
            return null;
        }

        var counts = Counts;
        var buckets = new long[counts.Length];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = counts[(_headSlot + 1 + i) % buckets.Length];
        }

        return new RateCountsSnapshot(quota, _head, buckets, TimeOf(OverSinceTicks), TimeOf(BurstsResumeAtTicks));
    }

    /// <summary>
    /// A window of this shape counting what <paramref name="saved"/> did (see <see cref="Save"/>); null when the saved
    /// counts do not fit it or cannot have been counted (negative, or more than any limit admits).
    /// </summary>
    internal static SlidingWindowCounter? Restore(TimeSpan window, int buckets, RateCountsSnapshot saved)
    {
        var counter = new SlidingWindowCounter(window, buckets);
        if (saved.Head is not { } head || saved.Buckets is not { } counts || counts.Length != buckets
            || head < 0 || head >= (long.MaxValue / counter._bucketTicks) - 1)
        {
            return null;
        }

        long total = 0;
        foreach (var count in counts)
        {
            if (count < 0 || count > QuotaLimit.MaxValue - total)
            {
                return null;
            }

            total += count;
        }

        // Oldest first from slot 0, so the newest (the head) sits in the last slot.
        counts.CopyTo(counter.Counts);
        counter._headSlot = buckets - 1;
        counter._head = head;
        counter._nextBucketTicks = (head + 1) * counter._bucketTicks;
        counter._total = total;
        counter._lastAdded = head - (buckets - 1 - Math.Max(0, Array.FindLastIndex(counts, count => count > 0)));
        if (total > 0)
        {
            counter.FindOldest();
        }

        counter.OverSinceTicks = saved.OverSince?.UtcTicks ?? 0;
        counter.BurstsResumeAtTicks = saved.BurstsResumeAt?.UtcTicks ?? 0;
        return counter;
    }

    private static DateTimeOffset? TimeOf(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    private TimeSpan Until(long bucket, DateTimeOffset now) => TimeSpan.FromTicks(Math.Max(0, (bucket * _bucketTicks) - now.UtcTicks));

    private void Advance(long nowTicks)
    {
        if (nowTicks < _nextBucketTicks)
        {
            if (nowTicks < _nextBucketTicks - (2 * _bucketTicks))
            {
                Rewind(nowTicks / _bucketTicks);
            }

            return;
        }

        var bucket = nowTicks / _bucketTicks;
        var counts = Counts;
        var n = counts.Length;
        if (bucket - _head >= n)
        {
            counts.Clear();
            _total = 0;
            _headSlot = (int)(bucket % n);
        }
        else
        {
            for (var k = _head; k < bucket; k++)
            {
                if (++_headSlot == n)
                {
                    _headSlot = 0;
                }

                _total -= counts[_headSlot];
                counts[_headSlot] = 0;
            }
        }

        _head = bucket;
        _nextBucketTicks = (bucket + 1) * _bucketTicks;
        if (_total > 0 && _oldest <= bucket - n)
        {
            FindOldest();
        }
    }

    /// <summary>
    /// The clock went back by more than a bucket (a step forward corrected, say): the ring is renumbered so that its
    /// newest bucket is that of <paramref name="bucket"/>, each unit keeping its age. Left ahead, what was counted would
    /// stay until the clock caught up, refusing the tenant for as long as the step.
    /// </summary>
    private void Rewind(long bucket)
    {
        var back = _head - bucket;
        _head = bucket;
        _nextBucketTicks = (bucket + 1) * _bucketTicks;
        _oldest -= back;
        _lastAdded -= back;

        // The burst's start and the wait for the next keep their age too: left as they were, a burst would last longer,
        // and the wait hold, by the step.
        var backTicks = back * _bucketTicks;
        OverSinceTicks = OverSinceTicks == 0 ? 0 : Math.Max(1, OverSinceTicks - backTicks);
        BurstsResumeAtTicks = BurstsResumeAtTicks == 0 ? 0 : Math.Max(1, BurstsResumeAtTicks - backTicks);
    }

    /// <summary>After the oldest counted bucket left the window: the first bucket, oldest first, that still counts.</summary>
    private void FindOldest() => _oldest = _head - _buckets + 1 + OldestReaching(1);

    /// <summary>
    /// Walks the ring from the oldest bucket (the one after the head) and answers how many buckets past the oldest
    /// the running sum first reaches <paramref name="units"/>, or -1 when the whole window holds fewer.
    /// </summary>
    private int OldestReaching(long units)
    {
        var counts = Counts;
        var n = counts.Length;
        var slot = _headSlot;
        long sum = 0;
        for (var i = 0; i < n; i++)
        {
            if (++slot == n)
            {
                slot = 0;
            }

            sum += counts[slot];
            if (sum >= units)
            {
                return i;
            }
        }

        return -1;
    }

    [System.Runtime.CompilerServices.InlineArray(InlineBuckets)]
    private struct InlineCounts
    {
        private long _first;
    }
}
