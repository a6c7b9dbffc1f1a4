namespace Quotas.Core.Tenants;

/// <summary>Raises one alert per upward crossing of each threshold and re-arms a threshold once utilization falls below it.</summary>
/// <remarks>
/// State is one bit per (quota, threshold), for usage that goes up and down (gauges, reported gauges, rate windows). The
/// tenant stores the bits of the gauges with their usage (<see cref="Crossed"/>), so a tenant collected while idle, or
/// moved, does not alert again for a crossing it reported. A budget needs no bits (<see cref="ObserveChange"/>).
/// </remarks>
internal sealed class UtilizationAlerts
{
    private readonly int[] _thresholds;
    private readonly int _slots;
    private byte[]? _crossed;
    private AlertFeed? _feed;

    /// <summary>One slot per quota of the tenant (all kinds); at most 8 thresholds, one bit each.</summary>
    public UtilizationAlerts(IReadOnlyList<int> thresholds, int slots)
    {
        _thresholds = thresholds.ToArray();
        _slots = slots;
    }

    public AlertFeed Feed => _feed ??= new AlertFeed();

    /// <summary>Keeps <paramref name="previous"/>'s feed (its alerts and sequence).</summary>
    public void KeepFeedOf(UtilizationAlerts previous) => _feed = previous._feed ?? _feed;

    /// <summary>Takes over the rate alerts <paramref name="previous"/> raised since this tenant's feed was stored (see <see cref="AlertFeed.TakeUnstored"/>).</summary>
    public void KeepUnstoredRateAlertsOf(UtilizationAlerts previous)
    {
        if (previous._feed is { } feed)
        {
            Feed.TakeUnstored(feed, QuotaKind.Rate);
        }
    }

    /// <summary>
    /// The thresholds (in percent) each slot is above, keyed by <paramref name="keyOf"/> (null for a slot left out); null
    /// when none is.
    /// </summary>
    public Dictionary<string, List<int>>? Crossed(Func<int, string?> keyOf)
    {
        Dictionary<string, List<int>>? crossed = null;
        for (var slot = 0; _crossed is not null && slot < _slots; slot++)
        {
            if (_crossed[slot] is var mask and not 0 && keyOf(slot) is { } key)
            {
                (crossed ??= new(StringComparer.Ordinal))[key] = [.. _thresholds.Where((_, i) => (mask & (1 << i)) != 0)];
            }
        }

        return crossed;
    }

    /// <summary>Restores what <see cref="Crossed"/> gave; a quota or threshold no longer configured is left out.</summary>
    public void RestoreCrossed(IReadOnlyDictionary<string, List<int>>? crossed, Func<int, string?> keyOf)
    {
        for (var slot = 0; crossed is { Count: > 0 } && slot < _slots; slot++)
        {
            if (keyOf(slot) is { } key && crossed.TryGetValue(key, out var percents))
            {
                var mask = 0;
                for (var i = 0; i < _thresholds.Length; i++)
                {
                    mask |= percents.Contains(_thresholds[i]) ? 1 << i : 0;
                }

                if (mask != 0)
                {
                    (_crossed ??= new byte[_slots])[slot] = (byte)mask;
                }
            }
        }
    }

    /// <summary>
    /// Keeps of a slot's crossed thresholds only those <paramref name="usage"/> is still above, raising nothing: for
    /// bits read back with usage, or under a limit, that changed since they were stored.
    /// </summary>
    public void Recheck(int slot, long usage, long limit)
    {
        if (_crossed is null || _crossed[slot] == 0)
        {
            return;
        }

        var mask = 0;
        for (var i = 0; limit > 0 && i < _thresholds.Length; i++)
        {
            mask |= (_crossed[slot] & (1 << i)) != 0 && Reaches(usage, i, limit) ? 1 << i : 0;
        }

        _crossed[slot] = (byte)mask;
    }

    /// <summary>
    /// Takes the thresholds <paramref name="usage"/> reaches of <paramref name="limit"/> as crossed, raising nothing,
    /// where it also reached them of <paramref name="reportedUnder"/>: usage an earlier activation counted, and reported
    /// under that limit, before it handed it over. A threshold reached only under the new limit stays to be reported.
    /// </summary>
    public void MarkReached(int slot, long usage, long limit, long reportedUnder)
    {
        var mask = 0;
        for (var i = 0; limit > 0 && reportedUnder > 0 && i < _thresholds.Length; i++)
        {
            mask |= Reaches(usage, i, limit) && Reaches(usage, i, reportedUnder) ? 1 << i : 0;
        }

        if (mask != 0 || _crossed is not null)
        {
            (_crossed ??= new byte[_slots])[slot] = (byte)mask;
        }
    }

    /// <summary>
    /// For usage that only grows (a budget within its period), on a change from <paramref name="usageBefore"/> of
    /// <paramref name="limitBefore"/> to <paramref name="usageAfter"/> of <paramref name="limitAfter"/> (a record, or a
    /// changed limit): alerts for each threshold reached after and not before. Each crossing is one change, so it needs
    /// no state: nothing to store, and a new period's first crossing is reported however the last period ended.
    /// </summary>
    public void ObserveChange(QuotaKind kind, string quota, long usageBefore, long limitBefore, long usageAfter, long limitAfter, DateTimeOffset now)
    {
        for (var i = 0; limitAfter > 0 && i < _thresholds.Length; i++)
        {
            if (Reaches(usageAfter, i, limitAfter) && !(limitBefore > 0 && Reaches(usageBefore, i, limitBefore)))
            {
                Feed.Add(now, kind, quota, _thresholds[i], usageAfter, limitAfter);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="usage"/> is at or above threshold <paramref name="index"/> of <paramref name="limit"/>;
    /// in 128 bits, as a budget's consumption is not capped at its limit and may come near long's range.
    /// </summary>
    private bool Reaches(long usage, int index, long limit) => (Int128)usage * 100 >= (Int128)_thresholds[index] * limit;

    public void Observe(int slot, QuotaKind kind, string quota, long usage, long limit, DateTimeOffset now)
    {
        if (limit <= 0 || _thresholds.Length == 0)
        {
            return;
        }

        var mask = _crossed is null ? 0 : _crossed[slot];
        if (mask == 0 && !Reaches(usage, 0, limit))
        {
            return; // the common case: below every threshold, nothing armed to reset
        }

        var before = mask;
        for (var i = 0; i < _thresholds.Length; i++)
        {
            var bit = 1 << i;
            var above = Reaches(usage, i, limit);
            if (above && (mask & bit) == 0)
            {
                mask |= bit;
                Feed.Add(now, kind, quota, _thresholds[i], usage, limit);
            }
            else if (!above)
            {
                mask &= ~bit;
            }
        }

        if (mask != before)
        {
            (_crossed ??= new byte[_slots])[slot] = (byte)mask;
        }
    }
}
