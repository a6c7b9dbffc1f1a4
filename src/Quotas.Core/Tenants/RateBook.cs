namespace Quotas.Core.Tenants;

/// <summary>
/// One tenant's rate quotas. In memory: a tenant leaving memory gracefully hands what they count to its next activation
/// (<see cref="SaveCounts"/>, <see cref="RestoreCounts"/>); after a crash it starts with empty windows and full buckets.
/// </summary>
/// <remarks>Limiters are created on first use, so an idle quota costs one array slot. Soft limits apply to sliding windows
/// (see <see cref="QuotaLimit"/>); a token bucket's burst is its own burst mechanism and its limit must be hard.</remarks>
public sealed class RateBook
{
    private readonly QuotaDefinition[] _quotas;

    /// <summary>The hot path's view: each quota's definition next to its limiter, one array to walk instead of two.</summary>
    private readonly Slot[] _slots;
    private readonly int _requestsIndex;
    private PeakRateTracker? _peak;

    public RateBook(IReadOnlyList<QuotaDefinition> rates)
    {
        _quotas = rates.ToArray();
        _slots = new Slot[_quotas.Length];

        // Windows are made with the book rather than on first use: allocated together, a tenant's objects share a few
        // neighbouring cache lines, and a check over many tenants then misses the cache far less. A token bucket needs
        // the time of its first use, so it still starts then.
        for (var i = 0; i < _quotas.Length; i++)
        {
            _slots[i].Definition = _quotas[i];
            if (_quotas[i] is { Algorithm: RateAlgorithm.SlidingWindow, Limit.IsUnlimited: false } window)
            {
                _slots[i].Limiter = new SlidingWindowCounter(window.Window, window.Buckets);
            }
        }

        _requestsIndex = IndexOf(QuotaNames.Requests);
        if (_requestsIndex >= 0)
        {
            _peak = new PeakRateTracker();
        }
    }

    public TenantStatus Status { get; set; }

    /// <summary>
    /// Takes over what <paramref name="previous"/> counted, for quotas that keep their name and the shape of their
    /// window (see <see cref="KeepsCounts"/>), so that changing a limit does not hand the tenant a fresh window.
    /// Anything else starts empty, as after a crash. The peak of the <c>requests</c> quota is kept.
    /// </summary>
    public void CarryOver(RateBook previous, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(previous);
        for (var i = 0; i < _slots.Length; i++)
        {
            var next = _slots[i].Definition;
            var index = previous.IndexOf(next.Name);
            if (index < 0)
            {
                continue;
            }

            if (previous._slots[index].Limiter is { } limiter && KeepsCounts(previous._slots[index].Definition, next))
            {
                _slots[i].Limiter = NoteLimit(limiter, previous._slots[index].Definition, next, now);
            }
        }

        if (_requestsIndex >= 0 && previous._peak is not null)
        {
            _peak = previous._peak;
        }
    }

    /// <summary>What each quota counts, for the tenant's next activation (see <see cref="RateCountsSnapshot"/>); null when none counts anything.</summary>
    public List<RateCountsSnapshot>? SaveCounts(DateTimeOffset now)
    {
        List<RateCountsSnapshot>? saved = null;
        foreach (var slot in _slots)
        {
            var counts = slot.Limiter switch
            {
                SlidingWindowCounter window => window.Save(slot.Definition, now),
                TokenBucket bucket => bucket.Save(slot.Definition, now),
                _ => null,
            };
            if (counts is not null)
            {
                (saved ??= []).Add(counts);
            }
        }

        return saved;
    }

    /// <summary>
    /// Counts on from what an earlier activation saved (<see cref="SaveCounts"/>), for the quotas that kept their name
    /// and shape since, by the rules of <see cref="CarryOver"/>; counts that do not fit are dropped (the quota starts empty).
    /// </summary>
    public void RestoreCounts(IEnumerable<RateCountsSnapshot> saved, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(saved);
        foreach (var counts in saved)
        {
            var index = counts?.Quota is { } before ? IndexOf(before.Name) : -1;
            if (index < 0 || !KeepsCounts(counts!.Quota, _slots[index].Definition))
            {
                continue;
            }

            var next = _slots[index].Definition;
            var shape = counts.Quota; // a bucket is read back in the shape it was saved in, then resized to the new one
            object? restored = next.Algorithm == RateAlgorithm.TokenBucket
                ? TokenBucket.Restore(shape.Limit.Limit, shape.Window, shape.Burst, counts)
                : SlidingWindowCounter.Restore(next.Window, next.Buckets, counts);
            if (restored is not null)
            {
                _slots[index].Limiter = NoteLimit(restored, counts.Quota, next, now);
            }
        }
    }

    /// <summary>
    /// The limiter <paramref name="next"/> takes over: the same one, or, for a window that keeps its counts under another
    /// limit, a copy with its soft state worked out again (see <see cref="SlidingWindowCounter.LimitChanged"/>), or, for
    /// a bucket under another rate or burst, a new one with what it has spent (see <see cref="TokenBucket.Resized"/>), so
    /// that the book taken over from keeps its own as it was (a change whose write fails goes back to it).
    /// </summary>
    private static object NoteLimit(object limiter, QuotaDefinition before, QuotaDefinition next, DateTimeOffset now)
    {
        if (limiter is TokenBucket bucket)
        {
            return (before.Limit.Limit, before.Burst) == (next.Limit.Limit, next.Burst) ? bucket : bucket.Resized(next.Limit.Limit, next.Burst, now);
        }

        // Only what a window's soft state is worked out against: a grace period, say, means nothing to a rate.
        if (limiter is not SlidingWindowCounter window || (before.Limit.Type, before.Limit.Limit, before.Limit.Ceiling) == (next.Limit.Type, next.Limit.Limit, next.Limit.Ceiling))
        {
            return limiter;
        }

        var changed = window.Copy();
        changed.LimitChanged(next.Limit, now);
        return changed;
    }

    /// <summary>
    /// Whether what a quota counted under <paramref name="before"/> still counts under <paramref name="next"/> (same
    /// name assumed): a sliding window keeps its counts when its length and bucket count stay (a new limit applies to the
    /// same counts); a token bucket when its window stays (what it spent stays spent under a new rate or burst). Before,
    /// a bucket whose rate changed started full: lowering a drained tenant's rate handed it a whole burst.
    /// </summary>
    private static bool KeepsCounts(QuotaDefinition before, QuotaDefinition next) =>
        before.Algorithm == next.Algorithm && before.Window == next.Window && !next.Limit.IsUnlimited
        && (next.Algorithm == RateAlgorithm.TokenBucket || before.Buckets == next.Buckets);

    public IReadOnlyList<QuotaDefinition> Quotas => _quotas;

    public RateDecision Check(string quota, long cost, DateTimeOffset now)
    {
        var index = RequireQuota(quota);
        Guard.Amount(cost, quota);
        return CheckCore(index, cost, now);
    }

    /// <summary>Units counted now (token bucket: tokens in use, burst minus available).</summary>
    public long Current(int index, DateTimeOffset now) => _slots[index].Limiter switch
    {
        SlidingWindowCounter window => window.Count(now),
        TokenBucket bucket => bucket.Burst - bucket.Available(now),
        _ => 0,
    };

    public long LimitOf(int index) => LimitOf(_quotas[index]);

    /// <summary>Until units are freed, as the <c>t</c> of the RateLimit header: the sliding window until its oldest
    /// counted unit leaves, the token bucket until it is full; zero when nothing is counted.</summary>
    public TimeSpan ResetAfter(int index, DateTimeOffset now) => _slots[index].Limiter switch
    {
        SlidingWindowCounter window => window.ResetAfter(now),
        TokenBucket bucket => bucket.TimeUntilFull(now),
        _ => TimeSpan.Zero,
    };

    /// <summary>Peak admitted units of the <c>requests</c> quota in any minute of the last hour.</summary>
    public long PeakRequestsPerMinute(DateTimeOffset now) => _peak?.Peak(now) ?? 0;

    public int IndexOf(string quota)
    {
        var slots = _slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (string.Equals(slots[i].Definition.Name, quota, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    internal int RequireQuota(string quota)
    {
        var index = IndexOf(quota);
        if (index < 0)
        {
            QuotaNames.Validate(quota);
            throw new QuotaValidationException(
                ValidationCodes.UnknownQuota,
                $"Rate quota '{quota}' is not configured for this tenant: configure it first or use a well-known rate name.");
        }

        return index;
    }

    internal RateDecision CheckCore(int index, long cost, DateTimeOffset now)
    {
        var definition = _slots[index].Definition;
        var limit = definition.Limit;
        if (Status != TenantStatus.Active)
        {
            var reason = Status == TenantStatus.Suspended ? ReasonCodes.TenantSuspended : ReasonCodes.TenantDeleted;
            return new RateDecision(false, reason, definition.Name, 0, LimitOf(definition), 0, TimeSpan.Zero, null);
        }

        RateDecision decision;
        if (limit.IsUnlimited)
        {
            decision = new RateDecision(true, null, definition.Name, 0, QuotaLimit.UnlimitedValue, QuotaLimit.UnlimitedValue, TimeSpan.Zero, null);
        }
        else if (definition.Algorithm == RateAlgorithm.TokenBucket)
        {
            decision = CheckBucket(index, definition, cost, now);
        }
        else
        {
            decision = CheckWindow(index, definition, cost, now);
        }

        if (decision.Allowed && index == _requestsIndex)
        {
            (_peak ??= new PeakRateTracker()).Add(cost, now);
        }

        return decision;
    }

    /// <summary>
    /// Takes back the last hit of <paramref name="cost"/> this quota admitted, which was not admitted after all (an
    /// ancestor refused it): the window no longer counts it, the bucket has its tokens again.
    /// </summary>
    public void TakeBackLast(int index, long cost, DateTimeOffset now)
    {
        switch (_slots[index].Limiter)
        {
            case SlidingWindowCounter window:
                window.TakeBackLast(cost, now);
                break;
            case TokenBucket bucket:
                bucket.Return(cost, now);
                break;
        }

        if (index == _requestsIndex)
        {
            _peak?.TakeBackLast(cost, now);
        }
    }

    private RateDecision CheckBucket(int index, QuotaDefinition definition, long cost, DateTimeOffset now)
    {
        var bucket = (TokenBucket)(_slots[index].Limiter ??= new TokenBucket(definition.Limit.Limit, definition.Window, definition.Burst, now));
        if (cost > definition.Burst)
        {
            var current = definition.Burst - bucket.Available(now);
            return new RateDecision(false, ReasonCodes.RequestExceedsLimit, definition.Name, current, definition.Burst, definition.Burst - current, bucket.TimeUntilFull(now), null);
        }

        var allowed = bucket.TryTake(cost, now);
        var available = bucket.Available(now);
        return new RateDecision(
            allowed,
            allowed ? null : ReasonCodes.RateLimited,
            definition.Name,
            definition.Burst - available,
            definition.Burst,
            available,
            bucket.TimeUntilFull(now),
            allowed ? null : bucket.TimeUntilAvailable(cost, now));
    }

    private RateDecision CheckWindow(int index, QuotaDefinition definition, long cost, DateTimeOffset now)
    {
        var window = (SlidingWindowCounter)(_slots[index].Limiter ??= new SlidingWindowCounter(definition.Window, definition.Buckets));
        var limit = definition.Limit;
        var current = window.Count(now);
        window.RememberSoftState();
        var verdict = SoftLimitRule.Evaluate(limit, current, cost, ref window.OverSinceTicks, now.UtcTicks, window.BurstsResumeAtTicks);
        if (verdict == LimitVerdict.Admit)
        {
            window.Add(cost, now);
            current += cost;
            if (limit.Type == LimitType.Soft && current > limit.Limit)
            {
                window.HoldBurstsAbove(limit.Limit, now);
            }
            return new RateDecision(true, null, definition.Name, current, limit.Limit, SoftLimitRule.Remaining(limit, current), window.ResetAfter(now), null);
        }

        TimeSpan? retry = verdict == LimitVerdict.TooLarge ? null : RetryAfter(window, limit, verdict, current, cost, now);

        var reason = verdict switch
        {
            LimitVerdict.TooLarge => ReasonCodes.RequestExceedsLimit,
            LimitVerdict.BurstExpired => ReasonCodes.SoftBurstExpired,
            _ => ReasonCodes.RateLimited,
        };
        return new RateDecision(false, reason, definition.Name, current, limit.Limit, SoftLimitRule.Remaining(limit, current), window.ResetAfter(now), retry);
    }

    /// <summary>When a hit the window refused (full, or its burst ran out) would be admitted; see <see cref="SoftLimitRule.RetryAfter"/>.</summary>
    private static TimeSpan RetryAfter(SlidingWindowCounter window, QuotaLimit limit, LimitVerdict verdict, long current, long cost, DateTimeOffset now)
    {
        // A hit larger than the limit never fits within it: only a new burst admits it.
        var fitsLimit = cost > limit.Limit ? SoftLimitRule.Never : window.TimeUntilFreed(current + cost - limit.Limit, now);
        var fitsCeiling = window.TimeUntilFreed(current + cost - limit.Max, now);
        var backWithinLimit = window.TimeUntilFreed(current - limit.Limit, now);
        return SoftLimitRule.RetryAfter(verdict, limit, window.OverSinceTicks, now.UtcTicks, fitsCeiling, backWithinLimit, fitsLimit, window.BurstsResumeAtTicks);
    }

    /// <summary>The limit a quota's decisions report: a token bucket's burst, a window's limit.</summary>
    internal static long LimitOf(QuotaDefinition definition) =>
        definition.Algorithm == RateAlgorithm.TokenBucket && !definition.Limit.IsUnlimited ? definition.Burst : definition.Limit.Limit;

    private struct Slot
    {
        public QuotaDefinition Definition;
        public object? Limiter;
    }
}
