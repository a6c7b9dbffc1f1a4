using Quotas.LoadTest.Load;

namespace Quotas.LoadTest.Tests;

public sealed class StepResultTests
{
    [Fact]
    public void A_median_that_rose_more_than_the_growth_bound_between_the_first_and_last_quarter_is_saturation()
    {
        var grew = Step(p99: 60) with { FirstQuarterP50Milliseconds = 0.3, LastQuarterP50Milliseconds = 12.0 };
        var steady = Step(p99: 60) with { FirstQuarterP50Milliseconds = 0.3, LastQuarterP50Milliseconds = 9.0 };

        Assert.Equal("saturated: latency grew through the step (median 0.3 ms in its first quarter, 12.0 ms in its last)", grew.Verdict);
        Assert.False(grew.Sustained);
        Assert.Equal("sustained", steady.Verdict);
    }

    [Fact]
    public void The_rate_and_p99_rules_come_first()
    {
        var both = Step(p99: 150) with { FirstQuarterP50Milliseconds = 0.3, LastQuarterP50Milliseconds = 120 };

        Assert.Equal("saturated: p99 > 100 ms", both.Verdict);
    }

    private static StepResult Step(double p99) => new(1_000, 1_000, 1_000, 0, 0, 0.2, 0.5, p99, 0.1, null);
}
