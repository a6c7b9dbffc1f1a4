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

    /// <summary>
    /// Adds <paramref name="usage"/> held for <paramref name="held"/> up to <paramref name="now"/>, each second of it
    /// decayed by its age as if it had been recorded when it was used: the integral of 2^(-age / half-life) over the
    /// hold. One 10-hour hold then weighs what ten 1-hour holds back to back do (1.44 hours' worth at a half-life of an
    /// hour; counted undecayed at its end it weighed 10), and usage held forever approaches the window
    /// (<see cref="Share"/> scores it 1). A short hold counts about its length.
    /// </summary>
    public static void Record(TenantState tenant, ReadOnlySpan<long> usage, TimeSpan held, TimeSpan halfLife, DateTimeOffset now)
    {
        Decay(tenant, halfLife, now);
        var seconds = held <= TimeSpan.Zero ? 0 : halfLife.TotalSeconds / Math.Log(2) * (1 - Math.Pow(0.5, held / halfLife));
        for (var i = 0; i < usage.Length; i++)
        {
            tenant.History[i] += usage[i] * seconds;
        }
    }

    /// <summary>
    /// Dominant share of history: decayed resource-seconds, those of leases that ended and those the running jobs have
    /// accrued so far (<see cref="RunningUsage"/>), over what the whole pool delivers in the same decayed
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
            var used = ((tenant.History[i] * factor) + RunningUsage.Accrued(tenant, i, halfLife, now)) / (capacity[i] * window);
            share = Math.Max(share, weights is null ? used : used / weights[i]);
        }

        return share;
    }
}
