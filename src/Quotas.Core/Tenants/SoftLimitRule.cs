namespace Quotas.Core.Tenants;

internal enum LimitVerdict
{
    Admit,
    Full,
    BurstExpired,
    TooLarge,
}

/// <summary>The one place that decides hard, soft and unlimited admission, shared by gauges, windows and budgets.</summary>
internal static class SoftLimitRule
{
    /// <summary>Decides whether <paramref name="amount"/> fits on top of <paramref name="current"/>.</summary>
    /// <remarks>overSinceTicks: UTC ticks when usage first went above a soft limit, 0 when it is not above. Reset here when usage
    /// is back under the limit; set here when this admission starts a burst. burstsResumeAtTicks: no new burst starts before
    /// these UTC ticks (0: no such wait), for a rate window whose count falls by itself (see
    /// <see cref="SlidingWindowCounter.BurstsResumeAtTicks"/>).</remarks>
    public static LimitVerdict Evaluate(QuotaLimit limit, long current, long amount, ref long overSinceTicks, long nowTicks, long burstsResumeAtTicks = 0)
    {
        if (limit.Type == LimitType.Unlimited)
        {
            return LimitVerdict.Admit;
        }

        if (current <= limit.Limit)
        {
            overSinceTicks = 0;
        }

        if (amount > limit.Max)
        {
            return LimitVerdict.TooLarge;
        }

        // Saturating: usage near long.MaxValue (a parent's, capped there) plus a request must not wrap round to fit.
        var after = Saturating.Add(current, amount);
        if (after <= limit.Limit)
        {
            return LimitVerdict.Admit;
        }

        if (limit.Type == LimitType.Hard || after > limit.Ceiling)
        {
            return LimitVerdict.Full;
        }

        if (overSinceTicks == 0)
        {
            if (nowTicks < burstsResumeAtTicks)
            {
                return LimitVerdict.BurstExpired;
            }

            overSinceTicks = nowTicks;
            return LimitVerdict.Admit;
        }

        return nowTicks - overSinceTicks < limit.MaxBurst.Ticks ? LimitVerdict.Admit : LimitVerdict.BurstExpired;
    }

    /// <summary>
    /// "Never", for <c>fitsLimit</c> of a request larger than the limit: it fits within the limit at no time, and only a
    /// burst admits it.
    /// </summary>
    public static readonly TimeSpan Never = TimeSpan.MaxValue;

    /// <summary>
    /// The Retry-After of a refusal (<see cref="LimitVerdict.Full"/> or <see cref="LimitVerdict.BurstExpired"/>): for a
    /// burst that ran out, the earlier of the wait until the request fits within the limit and the wait until a new
    /// burst admits it (the only one for a request larger than the limit); for a full quota, <see cref="FullRetry"/>.
    /// Arguments as there.
    /// </summary>
    public static TimeSpan RetryAfter(
        LimitVerdict verdict, QuotaLimit limit, long overSinceTicks, long nowTicks, TimeSpan fitsCeiling, TimeSpan backWithinLimit, TimeSpan fitsLimit, long burstsResumeAtTicks = 0)
    {
        if (verdict != LimitVerdict.BurstExpired)
        {
            return FullRetry(limit, overSinceTicks, nowTicks, fitsCeiling, backWithinLimit, fitsLimit, burstsResumeAtTicks);
        }

        var nextBurst = NextBurst(nowTicks, fitsCeiling, backWithinLimit, burstsResumeAtTicks);
        return nextBurst < fitsLimit ? nextBurst : fitsLimit;
    }

    /// <summary>
    /// The wait after which a request refused for going over the ceiling (<see cref="LimitVerdict.Full"/>) is admitted,
    /// when nothing else changes: the wait until it fits under the ceiling when the burst under way still runs then
    /// (usage is still over the limit then, and the burst has not run out); otherwise the earlier of the wait until it
    /// fits within the limit and the wait until a new burst admits it (<see cref="NextBurst"/>). For a hard limit, the
    /// ceiling is the limit.
    /// </summary>
    /// <remarks>fitsCeiling: the time until usage plus the request fits under the ceiling; backWithinLimit: until usage
    /// alone is back within the limit; fitsLimit: until usage plus the request fits within the limit (<see cref="Never"/>
    /// for a request larger than the limit); overSinceTicks and burstsResumeAtTicks as in <see cref="Evaluate"/>.</remarks>
    public static TimeSpan FullRetry(
        QuotaLimit limit, long overSinceTicks, long nowTicks, TimeSpan fitsCeiling, TimeSpan backWithinLimit, TimeSpan fitsLimit, long burstsResumeAtTicks = 0)
    {
        if (limit.Type != LimitType.Soft)
        {
            return fitsCeiling;
        }

        if (overSinceTicks != 0 && fitsCeiling < backWithinLimit && nowTicks + fitsCeiling.Ticks - overSinceTicks < limit.MaxBurst.Ticks)
        {
            return fitsCeiling;
        }

        var nextBurst = NextBurst(nowTicks, fitsCeiling, backWithinLimit, burstsResumeAtTicks);
        return nextBurst < fitsLimit ? nextBurst : fitsLimit;
    }

    /// <summary>
    /// The wait until a new burst admits a request: usage back within the limit (which ends the burst under way, if
    /// any), bursts allowed to start again (a rate window's wait, see <see cref="SlidingWindowCounter.BurstsResumeAtTicks"/>),
    /// and the request under the ceiling.
    /// </summary>
    public static TimeSpan NextBurst(long nowTicks, TimeSpan fitsCeiling, TimeSpan backWithinLimit, long burstsResumeAtTicks = 0)
    {
        var resume = TimeSpan.FromTicks(Math.Max(0, burstsResumeAtTicks - nowTicks));
        var usageAllows = fitsCeiling > backWithinLimit ? fitsCeiling : backWithinLimit;
        return usageAllows > resume ? usageAllows : resume;
    }

    /// <summary>True when a soft limit has been above its limit for longer than burst + grace: renewals are refused.</summary>
    public static bool GraceExpired(QuotaLimit limit, long current, long overSinceTicks, long nowTicks) =>
        limit.Type == LimitType.Soft
        && current > limit.Limit
        && overSinceTicks != 0
        && nowTicks - overSinceTicks >= limit.MaxBurst.Ticks + limit.GracePeriod.Ticks;

    /// <summary>
    /// Since when usage is over <paramref name="limit"/> after the limit changed under it: from <paramref name="nowTicks"/>
    /// (a burst starts) when it was not over before, and not at all (0) when it is within the limit now. Only a soft
    /// limit has a burst: under a hard one none is kept, since one kept from before was taken for the quota's own once it
    /// was made soft again, with its grace long run out.
    /// </summary>
    public static long OverSinceUnder(QuotaLimit limit, long usage, long overSinceTicks, long nowTicks) =>
        limit.Type != LimitType.Soft || usage <= limit.Limit ? 0 : overSinceTicks == 0 ? nowTicks : overSinceTicks;

    public static long Remaining(QuotaLimit limit, long current) =>
        limit.IsUnlimited ? QuotaLimit.UnlimitedValue : Math.Max(0, limit.Limit - current);
}
