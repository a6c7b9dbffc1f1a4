using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>
/// A hit an ancestor refused is taken back from the tenant's own window or bucket (see
/// <see cref="TenantQuotas.TakeBackRate"/>), by hand: windows of 10 s in 5 buckets of 2 s, a bucket of 5 tokens.
/// </summary>
public sealed class RateTakeBackTests
{
    private readonly RateBook _rates = new([
        QuotaDefinition.SlidingWindow("calls", QuotaLimit.Hard(5), TimeSpan.FromSeconds(10), buckets: 5),
        QuotaDefinition.TokenBucket("tokens", 1, TimeSpan.FromSeconds(1), 5),
    ]);

    [Fact]
    public void A_hit_taken_back_leaves_the_bucket_it_was_counted_in_and_the_reset_follows_the_oldest_left()
    {
        _rates.Check("calls", 2, At(0));   // bucket [0,2)
        _rates.Check("calls", 3, At(4.5)); // bucket [4,6)

        _rates.TakeBack(0, 2, At(0), At(5));

        var next = _rates.Check("calls", 2, At(5));
        Assert.True(next.Allowed);
        Assert.Equal(5, next.Current);
        Assert.Equal(TimeSpan.FromSeconds(9), next.ResetAfter); // [4,6) leaves at 14 s, not [0,2) at 10 s
    }

    [Fact]
    public void A_hit_whose_bucket_has_left_the_window_is_not_taken_again_and_no_more_than_was_counted_is_taken()
    {
        _rates.Check("calls", 2, At(0));
        _rates.Check("calls", 1, At(10)); // [0,2) has left

        _rates.TakeBack(0, 2, At(0), At(10));
        Assert.Equal(1, _rates.Current(0, At(10)));

        _rates.TakeBack(0, 5, At(10), At(10));
        Assert.Equal(0, _rates.Current(0, At(10)));
        Assert.Equal(TimeSpan.Zero, _rates.ResetAfter(0, At(10)));
    }

    [Fact]
    public void Tokens_given_back_fill_the_bucket_no_higher_than_its_burst()
    {
        Assert.True(_rates.Check("tokens", 4, At(0)).Allowed);
        _rates.TakeBack(1, 3, At(0), At(0));
        Assert.Equal(1, _rates.Current(1, At(0)));

        _rates.TakeBack(1, 4, At(0), At(2)); // two tokens refilled meanwhile
        Assert.Equal(0, _rates.Current(1, At(2)));
    }

    [Fact]
    public void A_tenant_counts_a_refusal_above_as_its_own_violation_and_a_failed_ask_as_none()
    {
        var tenant = Tenants.Basic("team", QuotaDefinition.SlidingWindow("calls", QuotaLimit.Hard(5), TimeSpan.FromSeconds(10)));
        Assert.True(tenant.CheckRate("calls", 1, At(0)).Allowed);
        tenant.TakeBackRate("calls", 1, At(0), At(0), refusedAbove: false);
        Assert.True(tenant.CheckRate("calls", 1, At(0)).Allowed);
        tenant.TakeBackRate("calls", 1, At(0), At(0), refusedAbove: true);

        var calls = tenant.Stats(At(0)).Rates.Single(r => r.Quota == "calls");
        Assert.Equal((0L, 1L), (calls.Current, calls.Violations));
    }
}
