namespace Quotas.Core.Scheduling;

/// <summary>Historical usage in resource-seconds, decayed exponentially with a half-life.</summary>
internal static class UsageHistory
{
    public static void Decay(TenantState tenant, TimeSpan halfLife, DateTimeOffset now)
    {
        if (now <= tenant.HistoryAt)
        {
            return;
        }

        var factor = Math.Pow(0.5, (now - tenant.HistoryAt) / halfLife);
        for (var i = 0; i < tenant.History.Length; i++)
        {
            tenant.History[i] *= factor;
        }

        tenant.HistoryAt = now;
    }

    public static void Record(TenantState tenant, ReadOnlySpan<long> usage, TimeSpan held, TimeSpan halfLife, DateTimeOffset now)
    {
        Decay(tenant, halfLife, now);
        var seconds = Math.Max(0, held.TotalSeconds);
        for (var i = 0; i < usage.Length; i++)
        {
            tenant.History[i] += usage[i] * seconds;
        }
    }

    /// <summary>
    /// Dominant share of history: decayed resource-seconds over what the whole pool delivers in the same decayed
    /// window (capacity * half-life / ln 2), so a tenant that held the whole pool forever scores 1. Reads only: the
    /// stored history changes when usage is recorded, not each time the order is computed. With a weight per resource,
    /// each resource's share is divided by its weight, as for the current allocation.
    /// </summary>
    public static double Share(TenantState tenant, long[] capacity, TimeSpan halfLife, DateTimeOffset now)
    {
        var factor = now <= tenant.HistoryAt ? 1 : Math.Pow(0.5, (now - tenant.HistoryAt) / halfLife);
        var window = halfLife.TotalSeconds / Math.Log(2);
        var share = 0.0;
        var weights = tenant.ResourceWeights;
        for (var i = 0; i < capacity.Length; i++)
        {
            var used = tenant.History[i] * factor / (capacity[i] * window);
            share = Math.Max(share, weights is null ? used : used / weights[i]);
        }

        return share;
    }
}
