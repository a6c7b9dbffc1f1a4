using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>Refill 10 per 10 s (one token a second), burst 5, by hand.</summary>
public sealed class TokenBucketTimelineTests
{
    private readonly RateBook _rates = new([QuotaDefinition.TokenBucket("calls", 10, TimeSpan.FromSeconds(10), burst: 5)]);

    /// <summary>A clock stepped an hour ahead, then set right: the bucket refills from the corrected time, not an hour later.</summary>
    [Fact]
    public void A_bucket_emptied_while_the_clock_ran_ahead_refills_from_when_it_is_set_right()
    {
        Assert.True(_rates.Check("calls", 5, At(3600)).Allowed);

        Assert.False(_rates.Check("calls", 1, At(5)).Allowed);
        Assert.True(_rates.Check("calls", 1, At(6)).Allowed);
    }

    /// <summary>
    /// Tokens given back to a nearly full bucket whose burst fills nearly all of a long once scaled stop at the burst;
    /// the sum overflowed to a negative count before.
    /// </summary>
    [Fact]
    public void Tokens_given_back_to_a_bucket_as_large_as_a_long_allows_stop_at_its_burst()
    {
        var burst = long.MaxValue / TimeSpan.FromSeconds(1).Ticks;
        var bucket = new TokenBucket(1_000_000_000, TimeSpan.FromSeconds(1), burst, At(0));
        Assert.True(bucket.TryTake(1000, At(0)));

        bucket.Return(1000, At(0).AddTicks(1));

        Assert.Equal(burst, bucket.Available(At(0).AddTicks(1)));
    }

    /// <summary>
    /// A bucket that takes longer to fill than the calendar goes (one token a day, a burst of ten million) reports its
    /// reset as the last time there is; the stats, and the limits and usage answers built on them, failed before.
    /// </summary>
    [Fact]
    public void A_bucket_that_fills_after_the_calendar_ends_reports_the_last_time_there_is()
    {
        var tenant = Tenants.Basic("slow", QuotaDefinition.TokenBucket("slow", 1, TimeSpan.FromDays(1), burst: 10_000_000));
        Assert.True(tenant.CheckRate("slow", 10_000_000, At(0)).Allowed);

        var usage = tenant.Stats(At(1)).Rates.Single(r => r.Quota == "slow");

        Assert.Equal(DateTimeOffset.MaxValue, usage.ResetsAt);
    }

    [Fact]
    public void Starts_full_and_refills_one_token_a_second()
    {
        var first = _rates.Check("calls", 3, At(0));
        Assert.True(first.Allowed);
        Assert.Equal(2, first.Remaining);
        Assert.Equal(5, first.Limit);
        Assert.Equal(TimeSpan.FromSeconds(3), first.ResetAfter);

        var denied = _rates.Check("calls", 3, At(0));
        Assert.False(denied.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(1), denied.RetryAfter);

        var half = _rates.Check("calls", 3, At(0.5));
        Assert.False(half.Allowed);
        Assert.Equal(2, half.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(0.5), half.RetryAfter);

        var refilled = _rates.Check("calls", 3, At(1));
        Assert.True(refilled.Allowed);
        Assert.Equal(0, refilled.Remaining);
    }

    [Fact]
    public void A_burst_at_the_largest_the_window_allows_refills_at_its_rate_without_overflow()
    {
        // burst × window ticks is just under long.MaxValue; adding the rate to it would overflow.
        const long burst = 922_337_203_685;
        var rates = new RateBook([QuotaDefinition.TokenBucket("huge", 10_000_000, TimeSpan.FromSeconds(1), burst)]);

        Assert.True(rates.Check("huge", burst, At(0)).Allowed);
        var tickLater = rates.Check("huge", burst, At(0).AddTicks(1));
        Assert.False(tickLater.Allowed);
        Assert.Equal(1, tickLater.Remaining);
        Assert.True(tickLater.RetryAfter > TimeSpan.FromDays(1), $"retry after {tickLater.RetryAfter}");
        Assert.True(tickLater.ResetAfter > TimeSpan.Zero, $"reset after {tickLater.ResetAfter}");
    }

    [Theory]
    [InlineData(100, 60, 10, 6)]   // 100 a minute, burst 10: 10 per 6 s
    [InlineData(10, 10, 5, 5)]
    [InlineData(3, 10, 2, 6.6666667)] // rounded up to the tick
    [InlineData(7, 1, 7, 1)]
    public void A_token_bucket_announces_its_burst_per_the_time_it_takes_to_refill(long rate, int windowSeconds, long burst, double policySeconds)
    {
        var definition = QuotaDefinition.TokenBucket("calls", rate, TimeSpan.FromSeconds(windowSeconds), burst);
        Assert.Equal(policySeconds, definition.PolicyWindow().TotalSeconds, 6);
        Assert.Equal(TimeSpan.FromSeconds(30), QuotaDefinition.SlidingWindow("s", QuotaLimit.Hard(5), TimeSpan.FromSeconds(30)).PolicyWindow());
    }

    [Fact]
    public void Idle_gap_refills_only_up_to_the_burst()
    {
        Assert.True(_rates.Check("calls", 5, At(0)).Allowed);
        var later = _rates.Check("calls", 5, At(3600));
        Assert.True(later.Allowed);
        Assert.False(_rates.Check("calls", 1, At(3600)).Allowed);
    }

    [Fact]
    public void Cost_above_burst_is_denied_without_retry_after_and_consumes_nothing()
    {
        var denied = _rates.Check("calls", 6, At(0));
        Assert.Equal(ReasonCodes.RequestExceedsLimit, denied.ReasonCode);
        Assert.Null(denied.RetryAfter);
        Assert.True(_rates.Check("calls", 5, At(0)).Allowed);
    }

    [Fact]
    public void Fractional_refill_is_exact_over_many_small_steps()
    {
        Assert.True(_rates.Check("calls", 5, At(0)).Allowed);
        for (var i = 1; i <= 10; i++)
        {
            Assert.False(_rates.Check("calls", 1, At((i * 0.1) - 0.001)).Allowed);
        }

        Assert.True(_rates.Check("calls", 1, At(1)).Allowed);
    }
}
