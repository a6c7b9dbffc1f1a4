using Quotas.LoadTest.Load;

namespace Quotas.LoadTest.Tests;

public sealed class StepVerdictTests
{
    [Theory]
    [InlineData(20.0, true)]
    [InlineData(20.5, false)]
    [InlineData(95.0, false)]
    public void A_step_is_sustained_only_while_its_p99_is_within_a_proxys_rate_limit_deadline(double p99, bool sustained)
    {
        var step = Step(offered: 40_000, achieved: 40_000, p99: p99);

        Assert.Equal(sustained, step.Sustained);
        Assert.Equal(sustained ? "sustained" : "saturated: p99 > 20 ms", step.Verdict);
    }

    [Fact]
    public void A_step_that_falls_behind_the_offered_rate_is_saturated_whatever_its_latency()
    {
        var step = Step(offered: 40_000, achieved: 37_000, p99: 1);

        Assert.False(step.Sustained);
        Assert.Equal("saturated: achieved < 95% of offered", step.Verdict);
    }

    [Fact]
    public void A_step_with_errors_is_not_sustained()
    {
        var step = Step(offered: 40_000, achieved: 40_000, p99: 1) with { Errors = 1, FirstError = "dropped" };

        Assert.False(step.Sustained);
        Assert.Equal("errors: dropped", step.Verdict);
    }

    private static StepResult Step(double offered, double achieved, double p99) =>
        new(offered, achieved, (long)achieved, 0, 0, 0.1, 0.5, p99, 0.1, null);
}
