using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Tenants;

/// <summary>A peek gives the verdict a check would, and counts nothing: no units, no refusal, no soft limit's grace.</summary>
public sealed class RatePeekTests
{
    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<QuotaDefinition> Limits =>
    [
        QuotaDefinition.SlidingWindow("requests", QuotaLimit.Hard(5), TimeSpan.FromMinutes(1)),
        QuotaDefinition.TokenBucket("requests", 5, TimeSpan.FromMinutes(1), burst: 5),
        QuotaDefinition.SlidingWindow("requests", QuotaLimit.Soft(5, 8, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1)), TimeSpan.FromMinutes(1)),
    ];

    [Theory]
    [MemberData(nameof(Limits))]
    public void Peeking_answers_as_the_check_would_and_leaves_the_window_as_it_was(QuotaDefinition limit)
    {
        var peeked = new TenantQuotas(TenantConfig.Create("peeked", Tier.Basic, limit));
        var plain = new TenantQuotas(TenantConfig.Create("plain", Tier.Basic, limit));

        for (var i = 0; i < 10; i++)
        {
            var peeks = Enumerable.Range(0, 3).Select(_ => peeked.PeekRate("requests", 1, s_now)).ToList();
            var checkedHere = peeked.CheckRate("requests", 1, s_now);

            // Its verdict, that is: what the window would show after the units (their reset, a bucket's tokens) is the check's to say.
            Assert.All(peeks, peek => Assert.Equal((checkedHere.Allowed, checkedHere.ReasonCode), (peek.Allowed, peek.ReasonCode)));
            Assert.Equal(plain.CheckRate("requests", 1, s_now), checkedHere);
        }

        var (peekedStats, plainStats) = (peeked.Stats(s_now), plain.Stats(s_now));
        Assert.Equal(plainStats.Rates, peekedStats.Rates);
        Assert.Equal(plainStats.TotalViolations, peekedStats.TotalViolations);
        Assert.Equal(plainStats.PeakRequestsPerMinuteLastHour, peekedStats.PeakRequestsPerMinuteLastHour);
    }
}
