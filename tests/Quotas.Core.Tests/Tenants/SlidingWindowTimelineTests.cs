using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>Limit 5 per 10 s window in 5 buckets of 2 s, by hand.</summary>
public sealed class SlidingWindowTimelineTests
{
    private readonly RateBook _rates = new([QuotaDefinition.SlidingWindow("calls", QuotaLimit.Hard(5), TimeSpan.FromSeconds(10), buckets: 5)]);

    [Fact]
    public void Fills_then_denies_with_retry_after_until_the_oldest_bucket_leaves()
    {
        var first = _rates.Check("calls", 2, At(0));
        Assert.True(first.Allowed);
        Assert.Equal(3, first.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(10), first.ResetAfter);

        var second = _rates.Check("calls", 3, At(1));
        Assert.True(second.Allowed);
        Assert.Equal(0, second.Remaining);

        var denied = _rates.Check("calls", 1, At(3));
        Assert.False(denied.Allowed);
        Assert.Equal(ReasonCodes.RateLimited, denied.ReasonCode);
        Assert.Equal(5, denied.Current);
        Assert.Equal(TimeSpan.FromSeconds(7), denied.RetryAfter);

        Assert.False(_rates.Check("calls", 1, At(9.999)).Allowed);
        var atBoundary = _rates.Check("calls", 5, At(10));
        Assert.True(atBoundary.Allowed);
        Assert.Equal(0, atBoundary.Remaining);
    }

    /// <summary>
    /// A clock stepped an hour ahead for one hit, then set right: what it counted leaves a window after the correction,
    /// not an hour later, so the tenant is not refused for as long as the step.
    /// </summary>
    [Fact]
    public void Units_counted_while_the_clock_ran_ahead_leave_a_window_after_it_is_set_right()
    {
        Assert.True(_rates.Check("calls", 5, At(3600)).Allowed);

        var refused = _rates.Check("calls", 1, At(5));
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(9), refused.RetryAfter); // counted in [4,6) now, which leaves at 14 s

        Assert.True(_rates.Check("calls", 5, At(14)).Allowed);
    }

    /// <summary>A clock set back by less than a window keeps each unit's age: the oldest leave when they would have.</summary>
    [Fact]
    public void Units_keep_their_age_when_the_clock_is_set_back_a_few_buckets()
    {
        Assert.True(_rates.Check("calls", 3, At(0)).Allowed);   // [0,2)
        Assert.True(_rates.Check("calls", 2, At(8.5)).Allowed); // [8,10)

        // Back 4 s: [8,10) is now [4,6), and [0,2) is now [-4,-2), which leaves at 6 s.
        var refused = _rates.Check("calls", 1, At(4.5));
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(1.5), refused.RetryAfter);
        Assert.True(_rates.Check("calls", 3, At(6)).Allowed);
    }

    [Fact]
    public void Buckets_roll_over_one_at_a_time()
    {
        Assert.True(_rates.Check("calls", 2, At(10)).Allowed);  // bucket [10,12)
        Assert.True(_rates.Check("calls", 3, At(13)).Allowed);  // bucket [12,14)
        Assert.False(_rates.Check("calls", 1, At(19.9)).Allowed);

        var afterFirstLeaves = _rates.Check("calls", 2, At(20));
        Assert.True(afterFirstLeaves.Allowed);
        Assert.Equal(0, afterFirstLeaves.Remaining);

        var denied = _rates.Check("calls", 1, At(21));
        Assert.Equal(TimeSpan.FromSeconds(1), denied.RetryAfter);
    }

    [Fact]
    public void Cost_above_one_needs_enough_units_freed()
    {
        Assert.True(_rates.Check("calls", 1, At(0)).Allowed);
        Assert.True(_rates.Check("calls", 1, At(2)).Allowed);
        Assert.True(_rates.Check("calls", 3, At(4)).Allowed);

        var denied = _rates.Check("calls", 2, At(5));
        Assert.False(denied.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(7), denied.RetryAfter); // needs buckets [0,2) and [2,4) gone: at t = 12
    }

    [Fact]
    public void Cost_above_the_limit_is_denied_without_retry_after()
    {
        var denied = _rates.Check("calls", 6, At(0));
        Assert.Equal(ReasonCodes.RequestExceedsLimit, denied.ReasonCode);
        Assert.Null(denied.RetryAfter);
        Assert.True(_rates.Check("calls", 5, At(0)).Allowed);
    }

    [Fact]
    public void Long_idle_gap_empties_the_window()
    {
        Assert.True(_rates.Check("calls", 5, At(0)).Allowed);
        var later = _rates.Check("calls", 5, At(100_000));
        Assert.True(later.Allowed);
        Assert.Equal(5, later.Current);
        Assert.Equal(0, _rates.Current(0, At(200_000)));
    }

    /// <summary>
    /// Limit 10, ceiling 200, bursts of 1 s, 60 s in buckets of 6 s. A hit larger than the limit fits within it at no time:
    /// only a new burst admits it, once the window has been back at its limit for a whole window, and that is its
    /// Retry-After (not the time the window empties, when it is refused again).
    /// </summary>
    [Fact]
    public void A_hit_larger_than_a_soft_limit_is_told_to_wait_for_the_next_burst()
    {
        var rates = new RateBook([QuotaDefinition.SlidingWindow(
            "calls", QuotaLimit.Soft(10, 200, TimeSpan.FromSeconds(1), TimeSpan.Zero), TimeSpan.FromSeconds(60), buckets: 10)]);
        Assert.True(rates.Check("calls", 50, At(0)).Allowed);   // a burst starts
        Assert.True(rates.Check("calls", 50, At(0.5)).Allowed); // 100, within the burst

        var refused = rates.Check("calls", 50, At(2));
        Assert.Equal(ReasonCodes.SoftBurstExpired, refused.ReasonCode);
        Assert.Equal(TimeSpan.FromSeconds(118), refused.RetryAfter); // empty (back at the limit) at 60 s, a whole window more

        Assert.False(rates.Check("calls", 50, At(119.9)).Allowed);
        Assert.True(rates.Check("calls", 50, At(120)).Allowed);
    }

    [Fact]
    public void Soft_window_bursts_to_the_ceiling_then_enforces_the_limit()
    {
        var rates = new RateBook([QuotaDefinition.SlidingWindow(
            "calls", QuotaLimit.Soft(4, 6, TimeSpan.FromSeconds(5), TimeSpan.Zero), TimeSpan.FromSeconds(10), buckets: 10)]);

        Assert.True(rates.Check("calls", 4, At(0)).Allowed);
        Assert.True(rates.Check("calls", 1, At(1)).Allowed);                             // 5 > 4: burst starts at t = 1
        Assert.Equal(ReasonCodes.RateLimited, rates.Check("calls", 2, At(3.5)).ReasonCode); // 7 > ceiling 6
        Assert.Equal(ReasonCodes.SoftBurstExpired, rates.Check("calls", 1, At(6.5)).ReasonCode); // 5.5 s above the limit
        Assert.True(rates.Check("calls", 3, At(10.5)).Allowed);                          // t = 0 bucket left: 1 + 3 <= 4
    }
    /// <summary>
    /// Limit 4 and ceiling 6 per 10 s in buckets of 1 s, bursts of 5 s. The window drains by itself once refusals end a
    /// burst; the next burst waits until it has been back at its limit for a whole window.
    /// </summary>
    [Fact]
    public void After_a_burst_a_soft_window_starts_the_next_only_a_whole_window_after_it_is_back_at_its_limit()
    {
        var rates = new RateBook([QuotaDefinition.SlidingWindow(
            "calls", QuotaLimit.Soft(4, 6, TimeSpan.FromSeconds(5), TimeSpan.Zero), TimeSpan.FromSeconds(10), buckets: 10)]);

        Assert.True(rates.Check("calls", 4, At(0)).Allowed);
        Assert.True(rates.Check("calls", 1, At(1)).Allowed);                                     // 5 > 4: the burst starts
        Assert.Equal(ReasonCodes.SoftBurstExpired, rates.Check("calls", 1, At(6.5)).ReasonCode); // 5.5 s above the limit

        // At t = 10 the first bucket left: the count is back at its limit (1), and within it everything is admitted.
        Assert.True(rates.Check("calls", 3, At(10.5)).Allowed);
        var waiting = rates.Check("calls", 1, At(10.5));
        Assert.False(waiting.Allowed);
        Assert.Equal(ReasonCodes.SoftBurstExpired, waiting.ReasonCode);
        Assert.Equal(TimeSpan.FromSeconds(0.5), waiting.RetryAfter); // the unit of t = 1 leaves at t = 11
        Assert.True(rates.Check("calls", 1, At(11.5)).Allowed);      // 4: within the limit
        Assert.False(rates.Check("calls", 1, At(19.9)).Allowed);     // back at the limit since t = 10, not yet for 10 s

        // From t = 20 a burst may start again.
        Assert.True(rates.Check("calls", 5, At(20.5)).Allowed); // 1 + 5 = 6, up to the ceiling
        Assert.True(rates.Check("calls", 1, At(22)).Allowed);   // the unit of t = 11 left; 5 + 1, 1.5 s into the burst
    }

    /// <summary>
    /// Limit 10, ceiling 20, bursts of 10 s, 60 s in buckets of 1 s. A hit refused while bursts wait to start again is
    /// told the earlier of the two ways in: here the next burst (1 s), not the wait until it fits within the limit (41 s,
    /// when the hits of t = 100 leave), which it was told before.
    /// </summary>
    [Fact]
    public void A_hit_refused_until_bursts_start_again_is_told_the_earlier_of_the_next_burst_and_room_within_the_limit()
    {
        var rates = new RateBook([QuotaDefinition.SlidingWindow(
            "calls", QuotaLimit.Soft(10, 20, TimeSpan.FromSeconds(10), TimeSpan.Zero), TimeSpan.FromSeconds(60), buckets: 60)]);
        Assert.True(rates.Check("calls", 15, At(0)).Allowed);   // a burst starts; back at the limit at t = 60, bursts again from 120
        Assert.True(rates.Check("calls", 10, At(100)).Allowed); // at the limit

        var refused = rates.Check("calls", 5, At(119));

        Assert.Equal(ReasonCodes.SoftBurstExpired, refused.ReasonCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.RetryAfter);
        Assert.True(rates.Check("calls", 5, At(120)).Allowed);
    }

    /// <summary>
    /// A tenant hitting without pause, 10 a second for an hour, against a soft 100 a minute (ceiling 200, bursts of
    /// 10 s). Each burst is followed by the window draining back to the limit and a whole window at it, so over the hour
    /// the tenant gets little more than its limit (108 a minute), where a burst started again as soon as the window had
    /// drained let through 175; and never less than its limit.
    /// </summary>
    [Fact]
    public void A_tenant_that_never_pauses_gets_little_more_than_a_soft_window_s_limit_over_time()
    {
        var rates = new RateBook([QuotaDefinition.SlidingWindow(
            "calls", QuotaLimit.Soft(100, 200, TimeSpan.FromSeconds(10), TimeSpan.Zero), TimeSpan.FromMinutes(1), buckets: 60)]);

        const int Minutes = 60;
        var admitted = 0;
        for (var tenth = 0; tenth < Minutes * 600; tenth++)
        {
            admitted += rates.Check("calls", 1, At(tenth / 10.0)).Allowed ? 1 : 0;
        }

        Assert.InRange(admitted / (double)Minutes, 100, 120);
    }

    /// <summary>A clock set back 50 s while a soft window is in its burst: the burst keeps its age and ends 5 s after it began.</summary>
    [Fact]
    public void A_soft_window_s_burst_keeps_its_age_when_the_clock_is_set_back()
    {
        var rates = new RateBook([QuotaDefinition.SlidingWindow(
            "calls", QuotaLimit.Soft(4, 100, TimeSpan.FromSeconds(5), TimeSpan.Zero), TimeSpan.FromSeconds(10), buckets: 10)]);

        Assert.True(rates.Check("calls", 5, At(100)).Allowed); // above the limit: the burst starts
        Assert.True(rates.Check("calls", 1, At(103)).Allowed);
        Assert.True(rates.Check("calls", 1, At(53)).Allowed);   // set back 50 s, 3 s into the burst
        Assert.Equal(ReasonCodes.SoftBurstExpired, rates.Check("calls", 1, At(55.5)).ReasonCode);
    }

    /// <summary>A hit that started a burst and was then taken back (an ancestor refused it) neither started the burst nor holds back the next.</summary>
    [Fact]
    public void A_hit_taken_back_takes_back_the_burst_it_started()
    {
        var rates = new RateBook([QuotaDefinition.SlidingWindow(
            "calls", QuotaLimit.Soft(4, 8, TimeSpan.FromSeconds(5), TimeSpan.Zero), TimeSpan.FromSeconds(10), buckets: 10)]);

        Assert.True(rates.Check("calls", 4, At(0)).Allowed);
        Assert.True(rates.Check("calls", 1, At(1)).Allowed); // 5 > 4: a burst would start
        rates.TakeBackLast(0, 1, At(1));

        Assert.True(rates.Check("calls", 2, At(2)).Allowed);   // 6: the burst starts now
        Assert.True(rates.Check("calls", 1, At(6.5)).Allowed); // 4.5 s into it
        Assert.Equal(ReasonCodes.SoftBurstExpired, rates.Check("calls", 1, At(7.5)).ReasonCode);
    }

    /// <summary>
    /// A hit whose ancestor's refusal comes back after the hit's units have left the window (a slow parent) still takes
    /// back the burst it started and the wait it set for the next: the tenant is not refused a burst it is owed.
    /// </summary>
    [Fact]
    public void A_hit_taken_back_after_its_units_left_the_window_still_takes_back_its_burst()
    {
        var rates = new RateBook([QuotaDefinition.SlidingWindow(
            "calls", QuotaLimit.Soft(10, 20, TimeSpan.FromSeconds(5), TimeSpan.Zero), TimeSpan.FromSeconds(1), buckets: 10)]);
        Assert.True(rates.Check("calls", 8, At(0)).Allowed);
        Assert.True(rates.Check("calls", 5, At(0.05)).Allowed); // 13 > 10: a burst starts, and holds the next back

        rates.TakeBackLast(0, 5, At(1.25)); // 1.2 s later: the hit has left the 1 s window already

        Assert.True(rates.Check("calls", 15, At(1.3)).Allowed); // a burst, from an empty window
    }

    /// <summary>
    /// A limit change works on a copy of the window: should the change fail to store, the book it replaced still holds
    /// back the next burst as before, as memory goes back to it (the window's counts carried over again).
    /// </summary>
    [Fact]
    public void A_limit_change_that_is_not_kept_leaves_the_wait_for_the_next_burst_as_it_was()
    {
        var soft = QuotaLimit.Soft(4, 6, TimeSpan.FromSeconds(5), TimeSpan.Zero);
        var rates = new RateBook([QuotaDefinition.SlidingWindow("calls", soft, TimeSpan.FromSeconds(10), buckets: 10)]);
        Assert.True(rates.Check("calls", 4, At(0)).Allowed);
        Assert.True(rates.Check("calls", 1, At(1)).Allowed);                                     // the burst starts
        Assert.Equal(ReasonCodes.SoftBurstExpired, rates.Check("calls", 1, At(6.5)).ReasonCode); // and runs out
        Assert.True(rates.Check("calls", 3, At(10.5)).Allowed);                                  // 4: back at the limit

        // The limit is raised to 5 (which clears the wait), and the change fails to store: memory goes back to the
        // configuration stored, taking over the windows of the book the change replaced.
        var raised = new RateBook([QuotaDefinition.SlidingWindow("calls", QuotaLimit.Soft(5, 8, TimeSpan.FromSeconds(5), TimeSpan.Zero), TimeSpan.FromSeconds(10), buckets: 10)]);
        raised.CarryOver(rates, At(12));
        var restored = new RateBook([QuotaDefinition.SlidingWindow("calls", soft, TimeSpan.FromSeconds(10), buckets: 10)]);
        restored.CarryOver(rates, At(12));

        Assert.Equal(ReasonCodes.SoftBurstExpired, restored.Check("calls", 2, At(15)).ReasonCode); // back at 4 since 10: no burst before 20
        Assert.True(raised.Check("calls", 1, At(15)).Allowed); // under the raised limit it fits
    }

    /// <summary>
    /// A limit raised while the window keeps its counts: the wait for the next burst, worked out against the old
    /// limit, goes; a burst under the new one may start at once.
    /// </summary>
    [Fact]
    public void A_changed_soft_limit_drops_the_wait_for_the_next_burst()
    {
        var rates = AfterABurst();
        var raised = SoftCalls(6, 12);
        var changed = new RateBook([raised]);
        changed.CarryOver(rates, At(6.5));
        var restored = new RateBook([raised]);
        restored.RestoreCounts(rates.SaveCounts(At(6.5))!, At(6.5));

        Assert.True(changed.Check("calls", 2, At(7)).Allowed); // 5 + 2 > 6: a new burst under the new limit
        Assert.True(restored.Check("calls", 2, At(7)).Allowed);
    }

    /// <summary>
    /// A limit lowered under the count while it waits for its next burst: the wait goes on, worked out against the new
    /// limit, rather than open a burst the old limit had closed.
    /// </summary>
    [Fact]
    public void A_soft_limit_lowered_while_the_window_waits_for_its_next_burst_keeps_it_waiting()
    {
        var rates = AfterABurst();
        Assert.True(rates.Check("calls", 3, At(10.5)).Allowed); // 1 + 3: back at the limit, waiting until t = 20

        var lowered = new RateBook([SoftCalls(3, 6)]);
        lowered.CarryOver(rates, At(10.6)); // 4 > 3: back at 3 when the unit of t = 1 leaves (t = 11), then a whole window

        var refused = lowered.Check("calls", 1, At(12));
        Assert.Equal(ReasonCodes.SoftBurstExpired, refused.ReasonCode);
        Assert.True(lowered.Check("calls", 3, At(21.5)).Allowed); // the three of t = 10 left; a burst may start
    }

    /// <summary>A limit lowered under a count that was within the old one: the count is over from the change, and its burst counts from then.</summary>
    [Fact]
    public void A_soft_limit_lowered_under_the_count_starts_its_burst_at_the_change()
    {
        var rates = new RateBook([SoftCalls(4, 8)]);
        Assert.True(rates.Check("calls", 4, At(0)).Allowed);

        var lowered = new RateBook([SoftCalls(3, 6)]);
        lowered.CarryOver(rates, At(2));

        Assert.True(lowered.Check("calls", 1, At(6.5)).Allowed); // 4.5 s into the burst that began at the change
        Assert.Equal(ReasonCodes.SoftBurstExpired, lowered.Check("calls", 1, At(7.5)).ReasonCode);
    }

    /// <summary>"calls": soft <paramref name="limit"/> up to <paramref name="ceiling"/> for bursts of 5 s, per 10 s in buckets of 1 s.</summary>
    private static QuotaDefinition SoftCalls(long limit, long ceiling) =>
        QuotaDefinition.SlidingWindow("calls", QuotaLimit.Soft(limit, ceiling, TimeSpan.FromSeconds(5), TimeSpan.Zero), TimeSpan.FromSeconds(10), buckets: 10);

    /// <summary>Soft 4 up to 8: 4 at t = 0, a burst from t = 1 (5 counted), over at t = 6.</summary>
    private static RateBook AfterABurst()
    {
        var rates = new RateBook([SoftCalls(4, 8)]);
        Assert.True(rates.Check("calls", 4, At(0)).Allowed);
        Assert.True(rates.Check("calls", 1, At(1)).Allowed);
        Assert.Equal(ReasonCodes.SoftBurstExpired, rates.Check("calls", 1, At(6.5)).ReasonCode);
        return rates;
    }
}
