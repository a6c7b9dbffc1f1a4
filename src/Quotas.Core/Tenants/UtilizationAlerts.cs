namespace Quotas.Core.Tenants;

/// <summary>Raises one alert per upward crossing of each threshold and re-arms a threshold once utilization falls below it.</summary>
/// <remarks>
/// State is one bit per (quota, threshold). The tenant stores the bits of the quotas whose usage it stores
/// (<see cref="Crossed"/>), so a tenant collected while idle, or moved, does not alert again for a crossing it reported.
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

    /// <summary>Keeps <paramref name="previous"/>'s feed (its alerts and sequence); thresholds are armed afresh.</summary>
    public void KeepFeedOf(UtilizationAlerts previous) => _feed = previous._feed ?? _feed;

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

    public void Observe(int slot, QuotaKind kind, string quota, long usage, long limit, DateTimeOffset now)
    {
        if (limit <= 0 || _thresholds.Length == 0)
        {
            return;
        }

        var mask = _crossed is null ? 0 : _crossed[slot];
        if (mask == 0 && usage * 100 < (long)_thresholds[0] * limit)
        {
            return; // the common case: below every threshold, nothing armed to reset
        }

        var before = mask;
        for (var i = 0; i < _thresholds.Length; i++)
        {
            var bit = 1 << i;
            var above = usage * 100 >= (long)_thresholds[i] * limit;
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
