using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

public sealed class PeakRateTrackerTests
{
    /// <summary>Hits cost up to 2^53 units: a minute's count goes past int's 2^31, and taking a hit back subtracts from the true sum.</summary>
    [Fact]
    public void A_minutes_count_goes_past_two_to_the_31st_and_a_hit_taken_back_leaves_the_true_sum()
    {
        var peak = new PeakRateTracker();
        peak.Add(2_000_000_000, At(1));
        peak.Add(2_000_000_000, At(2));
        Assert.Equal(4_000_000_000, peak.Peak(At(3)));

        peak.Add(1_000_000_000, At(4));
        peak.TakeBackLast(1_000_000_000, At(5));
        Assert.Equal(4_000_000_000, peak.Peak(At(6)));
    }
}
