namespace Quotas.Core.Tenants;

/// <summary>Raises one alert per upward crossing of each threshold and re-arms a threshold once utilization falls below it.</summary>
/// <remarks>State is one bit per (quota, threshold); it is not persisted, so a reactivated tenant may alert once more.</remarks>
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
