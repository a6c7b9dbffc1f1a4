namespace Quotas.Core.Tenants;

/// <summary>Raises one alert per upward crossing of each threshold and re-arms a threshold once utilization falls below it.</summary>
/// <remarks>State is one bit per (quota, threshold); it is not persisted, so a reactivated tenant may alert once more.</remarks>
internal sealed class UtilizationAlerts
{
    private readonly int[] _thresholds;
    private Dictionary<(QuotaKind, string), int>? _crossed;
    private AlertFeed? _feed;

    public UtilizationAlerts(IReadOnlyList<int> thresholds)
    {
        _thresholds = thresholds.ToArray();
    }

    public AlertFeed Feed => _feed ??= new AlertFeed();

    public void Observe(QuotaKind kind, QuotaDefinition quota, long usage, long limit, DateTimeOffset now)
    {
        if (limit <= 0 || _thresholds.Length == 0)
        {
            return;
        }

        var key = (kind, quota.Name);
        var mask = 0;
        _crossed?.TryGetValue(key, out mask);
        var before = mask;
        for (var i = 0; i < _thresholds.Length; i++)
        {
            var bit = 1 << i;
            var above = usage * 100 >= (long)_thresholds[i] * limit;
            if (above && (mask & bit) == 0)
            {
                mask |= bit;
                Feed.Add(now, kind, quota.Name, _thresholds[i], usage, limit);
            }
            else if (!above)
            {
                mask &= ~bit;
            }
        }

        if (mask != before)
        {
            (_crossed ??= new())[key] = mask;
        }
    }
}
