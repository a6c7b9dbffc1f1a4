using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>
/// A hit an ancestor refused is taken back from the tenant's own window or bucket (see
/// <see cref="TenantQuotas.TakeBackRate"/>), by hand: a window of 10 s in 5 buckets of 2 s, a bucket of 5 tokens.
/// </summary>
public sealed class RateTakeBackTests
{
    private readonly RateBook _rates = new([
        QuotaDefinition.SlidingWindow("calls", QuotaLimit.Hard(5), TimeSpan.FromSeconds(10), buckets: 5),
        QuotaDefinition.TokenBucket("tokens", 1, TimeSpan.FromSeconds(1), 5),
    ]);

    [Fact]
    public void Taking_back_the_last_hit_leaves_the_earlier_hits_and_the_reset_they_set()
    {
        _rates.Check("calls", 2, At(0));   // bucket [0,2)
        _rates.Check("calls", 3, At(4.5)); // bucket [4,6)

        _rates.TakeBackLast(0, 3, At(5));

        var next = _rates.Check("calls", 3, At(5));
        Assert.True(next.Allowed);
        Assert.Equal(5, next.Current);
        Assert.Equal(TimeSpan.FromSeconds(5), next.ResetAfter); // [0,2) leaves at 10 s
    }

    [Fact]
    public void A_hit_counted_after_the_clock_went_back_is_taken_from_the_newest_bucket_it_went_into()
    {
        _rates.Check("calls", 2, At(4.5));
        _rates.Check("calls", 1, At(0.5)); // the clock went back two buckets: the ring is renumbered, [4,6) is now [0,2), and this hit goes there

        _rates.TakeBackLast(0, 1, At(0.5));

        Assert.Equal(2, _rates.Current(0, At(0.5)));
        Assert.Equal(0, _rates.Current(0, At(14))); // [0,2) has left: nothing was left behind
    }

    [Fact]
    public void No_more_is_taken_back_than_the_window_counts()
    {
        _rates.Check("calls", 2, At(0));

        _rates.TakeBackLast(0, 5, At(1));

        Assert.Equal(TimeSpan.Zero, _rates.ResetAfter(0, At(1)));
        Assert.Equal(5, _rates.Check("calls", 5, At(1)).Current);
    }

    [Fact]
    public void Tokens_given_back_fill_the_bucket_no_higher_than_its_burst()
    {
        Assert.True(_rates.Check("tokens", 4, At(0)).Allowed);
        _rates.TakeBackLast(1, 3, At(0));
        Assert.Equal(1, _rates.Current(1, At(0)));

        _rates.TakeBackLast(1, 4, At(2)); // two tokens refilled meanwhile
        Assert.Equal(0, _rates.Current(1, At(2)));
    }

    [Fact]
    public void A_hit_pending_above_raises_its_alert_only_once_admitted_and_its_refusal_is_the_tenants_violation()
    {
        var tenant = Tenants.Basic("team", QuotaDefinition.SlidingWindow("calls", QuotaLimit.Hard(5), TimeSpan.FromSeconds(10)));

        Assert.True(tenant.CountRatePendingAbove("calls", 4, At(0)).Allowed); // 80 %
        Assert.Empty(tenant.Alerts.Items);
        tenant.TakeBackRate("calls", 4, At(0), violation: true);
        var admitted = tenant.CountRatePendingAbove("calls", 4, At(1));
        tenant.AdmittedAbove(admitted, At(1));

        Assert.Equal([80], tenant.Alerts.Items.Select(a => a.ThresholdPercent));
        var calls = tenant.Stats(At(1)).Rates.Single(r => r.Quota == "calls");
        Assert.Equal((4L, 1L), (calls.Current, calls.Violations));
    }
}
