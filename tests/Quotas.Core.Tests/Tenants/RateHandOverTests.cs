using System.Text.Json;
using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

/// <summary>
/// Rate counts a tenant hands to its next activation when it leaves memory gracefully (<see cref="RateCountsSnapshot"/>):
/// the book that takes them over decides exactly as the book that saved them would have.
/// </summary>
public sealed class RateHandOverTests
{
    private static readonly QuotaDefinition s_window = QuotaDefinition.SlidingWindow(
        "calls", QuotaLimit.Soft(8, 12, TimeSpan.FromSeconds(20), TimeSpan.Zero), TimeSpan.FromMinutes(1), buckets: 12);

    private static readonly QuotaDefinition s_bucket = QuotaDefinition.TokenBucket("writes", 6, TimeSpan.FromMinutes(1), 4);

    [Fact]
    public void A_book_taking_over_saved_counts_decides_every_later_hit_as_the_saving_book_would()
    {
        var saving = new RateBook([s_window, s_bucket]);
        var hits = new (double At, string Quota, long Cost)[]
        {
            (0, "calls", 3), (4, "calls", 4), (9, "calls", 3), (11, "writes", 3), (13, "writes", 1), (14, "calls", 1),
        };
        foreach (var (at, quota, cost) in hits)
        {
            saving.Check(quota, cost, At(at));
        }

        var taking = new RateBook([s_window, s_bucket]);
        taking.RestoreCounts(RoundTrip(saving.SaveCounts(At(15))!), At(15));

        // The same later hits, some refused (a spent burst, an empty bucket), give the same decisions on both.
        var later = new (double At, string Quota, long Cost)[]
        {
            (15, "calls", 1), (15, "writes", 1), (30, "calls", 2), (31, "writes", 2), (58, "calls", 4), (61, "calls", 3),
            (64.5, "calls", 1), (70, "writes", 4), (95, "calls", 5), (140, "calls", 9),
        };
        foreach (var (at, quota, cost) in later)
        {
            Assert.Equal(saving.Check(quota, cost, At(at)), taking.Check(quota, cost, At(at)));
        }
    }

    [Fact]
    public void Saved_counts_go_only_to_quotas_that_kept_their_name_and_shape()
    {
        var saving = new RateBook([s_window, s_bucket, QuotaDefinition.SlidingWindow("other", QuotaLimit.Hard(5), TimeSpan.FromMinutes(1))]);
        saving.Check("calls", 8, At(0));
        saving.Check("writes", 4, At(0));
        saving.Check("other", 5, At(0));
        var saved = RoundTrip(saving.SaveCounts(At(1))!);

        // A new limit applies to the window's counts, and a bucket's spent tokens stay spent under a larger burst (4 of 5,
        // a tenth of a token back after a second); another bucket count, or an unlimited quota, start afresh.
        var taking = new RateBook([
            s_window with { Limit = QuotaLimit.Hard(8) },
            s_bucket with { Burst = 5 },
            QuotaDefinition.SlidingWindow("other", QuotaLimit.Hard(5), TimeSpan.FromMinutes(1), buckets: 6),
        ]);
        taking.RestoreCounts(saved, At(1));

        Assert.Equal(8, taking.Current(0, At(1)));
        Assert.False(taking.Check("calls", 1, At(1)).Allowed);
        Assert.Equal(4, taking.Current(1, At(1)));
        Assert.True(taking.Check("writes", 1, At(1)).Allowed);
        Assert.False(taking.Check("writes", 1, At(1)).Allowed);
        Assert.Equal(0, taking.Current(2, At(1)));
        Assert.True(taking.Check("other", 5, At(1)).Allowed);
    }

    [Fact]
    public void Counts_that_cannot_have_been_counted_are_dropped_and_the_quota_starts_empty()
    {
        var head = At(0).UtcTicks / TimeSpan.FromSeconds(5).Ticks;
        var taking = new RateBook([s_window, s_bucket]);
        taking.RestoreCounts([
            new RateCountsSnapshot(s_window, head, new long[11]),                                   // one bucket short
            new RateCountsSnapshot(s_window, head, [.. new long[11], -1]),                          // negative
            new RateCountsSnapshot(s_window, head, [.. new long[10], QuotaLimit.MaxValue, 1]),      // more than any limit admits
            new RateCountsSnapshot(s_window, Buckets: new long[12]),                                // no head
            new RateCountsSnapshot(s_bucket, Tokens: -1, At: At(0)),
            new RateCountsSnapshot(s_bucket, Tokens: (4 * TimeSpan.FromMinutes(1).Ticks) + 1, At: At(0)), // above the burst
            new RateCountsSnapshot(QuotaDefinition.SlidingWindow("unknown", QuotaLimit.Hard(1), TimeSpan.FromMinutes(1)), head, new long[10]),
        ], At(0));

        Assert.Equal(0, taking.Current(0, At(0)));
        Assert.Equal(0, taking.Current(1, At(0)));
    }

    [Fact]
    public void Nothing_is_saved_when_nothing_counts()
    {
        var book = new RateBook([s_window, s_bucket]);
        Assert.Null(book.SaveCounts(At(0)));
        book.Check("calls", 3, At(0));
        book.Check("writes", 1, At(0));
        Assert.Equal(2, book.SaveCounts(At(1))!.Count);
        Assert.Null(book.SaveCounts(At(120))); // the window emptied and the bucket refilled
    }

    /// <summary>A tenant that reported a threshold before it left does not report it again after it is taken over; the next one it does.</summary>
    [Fact]
    public void A_tenant_taking_over_its_counts_does_not_report_a_threshold_again()
    {
        var config = TenantConfig.Create("moved", Tier.Basic, QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(10), TimeSpan.FromHours(1)));
        var leaving = new TenantQuotas(config);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(leaving.CheckRate("api", 1, At(i)).Allowed);
        }

        var seen = Assert.Single(leaving.Alerts.After(0));
        var snapshot = JsonSerializer.Deserialize<TenantSnapshot>(JsonSerializer.Serialize(leaving.HandOverSnapshot(At(10))))!;
        var taking = TenantQuotas.FromSnapshot(snapshot);
        taking.TakeOverRates(snapshot.RateCounts!, At(11));

        var ninth = taking.CheckRate("api", 1, At(12));
        Assert.Equal(9, ninth.Current);
        Assert.Empty(taking.Alerts.After(seen.Sequence));
        Assert.True(taking.CheckRate("api", 1, At(13)).Allowed);
        Assert.Equal(95, Assert.Single(taking.Alerts.After(seen.Sequence)).ThresholdPercent);
        Assert.False(taking.CheckRate("api", 1, At(14)).Allowed);
    }

    /// <summary>
    /// Thresholds 50 and 80 %: 12 hits were 60 % of the old limit of 20 (50 % reported), and are 86 % of the new one
    /// of 14. Only 50 % is taken as reported; 80 %, reached under the new limit alone, is reported at the next hit.
    /// </summary>
    [Fact]
    public void A_threshold_the_counts_reach_only_under_a_changed_limit_is_still_reported()
    {
        var window = TimeSpan.FromHours(1);
        var leaving = new TenantQuotas(TenantConfig.Create("moved", Tier.Basic, QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(20), window)) with { AlertThresholds = [50, 80] });
        Assert.True(leaving.CheckRate("api", 12, At(0)).Allowed);
        var seen = Assert.Single(leaving.Alerts.After(0));
        Assert.Equal(50, seen.ThresholdPercent);

        var snapshot = leaving.HandOverSnapshot(At(1));
        snapshot.Config = snapshot.Config! with { Quotas = [QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(14), window)] };
        var taking = TenantQuotas.FromSnapshot(snapshot);
        taking.TakeOverRates(snapshot.RateCounts!, At(2));

        Assert.Equal(13, taking.CheckRate("api", 1, At(3)).Current);
        Assert.Equal([80], taking.Alerts.After(seen.Sequence).Select(alert => alert.ThresholdPercent));
    }

    [Fact]
    public void Only_a_hand_over_stores_rate_counts()
    {
        var tenant = new TenantQuotas(TenantConfig.Create("kept", Tier.Basic, s_window));
        tenant.CheckRate("calls", 2, At(0));
        Assert.Null(tenant.ToSnapshot().RateCounts);
        Assert.NotNull(tenant.HandOverSnapshot(At(1)).RateCounts);
    }

    private static List<RateCountsSnapshot> RoundTrip(List<RateCountsSnapshot> counts) =>
        JsonSerializer.Deserialize<List<RateCountsSnapshot>>(JsonSerializer.Serialize(counts))!;

    /// <summary>
    /// A drained bucket whose rate an operator lowers to throttle the tenant keeps what it spent: the tenant gets the new
    /// rate's tokens as they come, not a full burst. A raised burst adds its room at once, as a raised window limit does.
    /// </summary>
    [Fact]
    public void A_bucket_s_new_rate_or_burst_keeps_the_tokens_it_spent()
    {
        var bucket = QuotaDefinition.TokenBucket("writes", 1000, TimeSpan.FromMinutes(1), 1000);
        var drained = new RateBook([bucket]);
        Assert.True(drained.Check("writes", 1000, At(0)).Allowed);

        var lowered = new RateBook([bucket with { Limit = QuotaLimit.Hard(10) }]);
        lowered.CarryOver(drained, At(0));
        var refused = lowered.Check("writes", 1, At(0));
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(6), refused.RetryAfter); // one token of 10 a minute
        Assert.True(lowered.Check("writes", 1, At(6)).Allowed);

        var raised = new RateBook([bucket with { Burst = 1500 }]);
        raised.CarryOver(drained, At(0));
        Assert.True(raised.Check("writes", 500, At(0)).Allowed);
        Assert.False(raised.Check("writes", 1, At(0)).Allowed);
    }
}
