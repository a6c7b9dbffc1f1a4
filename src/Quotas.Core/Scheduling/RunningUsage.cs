namespace Quotas.Core.Scheduling;

/// <summary>
/// The usage a tenant's running jobs have accrued so far, decayed as <see cref="UsageHistory"/> decays what ended, for
/// the blended order (<see cref="PoolConfig.HistoryBlend"/>): without it a job weighed nothing there until its lease
/// ended, so a tenant running week-long jobs had no history for a week. Read without walking the jobs, from two sums
/// per resource: the demand running (the tenant's allocation) and the demand weighted by 2^((leased at - reference) /
/// half-life). At time t the running jobs have accrued window * (allocation - 2^(-(t - reference) / half-life) *
/// weighted) resource-seconds, the sum of what <see cref="UsageHistory.Record"/> adds for each when its lease ends.
/// </summary>
internal static class RunningUsage
{
    /// <summary>Half-lives after the reference past which it is moved up, so that the weights stay far inside a double's range.</summary>
    private const double RebaseAfter = 64;

    public static void Started(TenantState tenant, ReadOnlySpan<long> demand, DateTimeOffset leasedAt, TimeSpan halfLife) =>
        Add(tenant, demand, leasedAt, halfLife, 1);

    public static void Ended(TenantState tenant, ReadOnlySpan<long> demand, DateTimeOffset leasedAt, TimeSpan halfLife) =>
        Add(tenant, demand, leasedAt, halfLife, -1);

    /// <summary>Resource-seconds the tenant's running jobs have accrued of resource <paramref name="index"/> by <paramref name="now"/>.</summary>
    public static double Accrued(TenantState tenant, int index, TimeSpan halfLife, DateTimeOffset now)
    {
        if (tenant.RunningWeighted is not { } weighted || tenant.Allocated[index] == 0)
        {
            return 0;
        }

        // Before the reference (an order worked out at a time read back from storage, or a clock set back): no running
        // time can be measured, and 2 to the power of it could overflow.
        var halfLives = (now - tenant.RunningReference) / halfLife;
        if (halfLives <= 0)
        {
            return 0;
        }

        var window = halfLife.TotalSeconds / Math.Log(2);
        return Math.Max(0, window * (tenant.Allocated[index] - (Math.Pow(0.5, halfLives) * weighted[index])));
    }

    private static void Add(TenantState tenant, ReadOnlySpan<long> demand, DateTimeOffset leasedAt, TimeSpan halfLife, int sign)
    {
        if (tenant.RunningWeighted is not { } weighted)
        {
            weighted = tenant.RunningWeighted = new double[demand.Length];
            tenant.RunningReference = leasedAt;
        }

        var since = (leasedAt - tenant.RunningReference) / halfLife;
        if (since > RebaseAfter)
        {
            var scale = Math.Pow(0.5, since);
            for (var i = 0; i < weighted.Length; i++)
            {
                weighted[i] *= scale;
            }

            tenant.RunningReference = leasedAt;
            since = 0;
        }

        var factor = Math.Pow(2, since);
        for (var i = 0; i < demand.Length; i++)
        {
            // Never below zero: the rounding of many additions and removals must not leave a negative weight behind.
            weighted[i] = Math.Max(0, weighted[i] + (sign * demand[i] * factor));
        }
    }
}
