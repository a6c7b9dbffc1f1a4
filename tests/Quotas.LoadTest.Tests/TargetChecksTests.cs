using Quotas.LoadTest.Load;
using Quotas.LoadTest.Reporting;
using Quotas.LoadTest.Targets;

namespace Quotas.LoadTest.Tests;

public sealed class TargetChecksTests
{
    [Fact]
    public void Each_check_takes_the_median_of_the_rounds()
    {
        TargetResult[] results =
        [
            Gateway(1, peak: 30_000, halfPeakP99: 2.5), Redis(1, peak: 25_000),
            Gateway(2, peak: 20_000, halfPeakP99: 1.5), Redis(2, peak: 25_000),
            Gateway(3, peak: 26_000, halfPeakP99: 1.9), Redis(3, peak: 25_000),
        ];

        var checks = TargetChecks.Evaluate(results).ToDictionary(c => c.Name);

        Assert.Equal("PASS", checks["gateway peak / (c) Redis limiter peak"].Outcome);
        Assert.StartsWith("median 1.04x;", checks["gateway peak / (c) Redis limiter peak"].Measured, StringComparison.Ordinal);
        Assert.Equal("PASS", checks["gateway p99 at half of its peak"].Outcome);
        Assert.StartsWith("median 1.90 ms;", checks["gateway p99 at half of its peak"].Measured, StringComparison.Ordinal);
        Assert.Equal("n/a", checks["gateway peak / (a) constant peak"].Outcome);
    }

    /// <summary>
    /// Two rounds in which gateway and Redis only swap places are a tie, not a pass: the ratios' median is taken on
    /// their logarithms (1.11x and 0.90x give 0.9994x, where their mean would be 1.005x), and the split is shown.
    /// </summary>
    [Fact]
    public void Two_rounds_that_swap_places_do_not_pass_a_ratio_of_one()
    {
        TargetResult[] results =
        [
            Gateway(1, peak: 33_730, halfPeakP99: 1.0), Redis(1, peak: 30_369),
            Gateway(2, peak: 30_346, halfPeakP99: 1.0), Redis(2, peak: 33_748),
        ];

        var check = TargetChecks.Evaluate(results).Single(c => c.Name == "gateway peak / (c) Redis limiter peak");

        Assert.Equal("MISS", check.Outcome);
        Assert.StartsWith("median 1.00x;", check.Measured, StringComparison.Ordinal);
        Assert.EndsWith("the rounds fall on both sides of the target", check.Measured, StringComparison.Ordinal);
    }

    /// <summary>
    /// Two searches that stop at the same steps tell no ratio closer than those steps: with the target within that
    /// range the check is undecided, whichever peak the last step's tail put ahead.
    /// </summary>
    [Fact]
    public void A_ratio_whose_peaks_are_known_only_to_a_step_that_spans_the_target_is_undecided()
    {
        TargetResult[] results =
        [
            Gateway(1, peak: 28_470, halfPeakP99: 1.0) with { FirstMiss = Missed(31_324) },
            Redis(1, peak: 28_475) with { FirstMiss = Missed(31_324) },
        ];

        var check = TargetChecks.Evaluate(results).Single(c => c.Name == "gateway peak / (c) Redis limiter peak");

        Assert.Equal("UNDECIDED", check.Outcome);
        Assert.Equal("1.00x (28,470 / 28,475 per s); within the searches' steps 0.91x to 1.10x", check.Measured);
    }

    /// <summary>A range wholly above the target passes; a search stopped by a busy generator is said so.</summary>
    [Fact]
    public void A_ratio_whose_range_clears_the_target_passes_and_a_busy_generator_is_named()
    {
        TargetResult[] results =
        [
            Gateway(1, peak: 38_442, halfPeakP99: 1.0) with { FirstMiss = Missed(42_715) },
            Constant(1, peak: 42_710) with { FirstMiss = Missed(46_986) with { GeneratorBusy = 0.95 } },
            Redis(1, peak: 28_475) with { FirstMiss = Missed(31_324) with { GeneratorBusy = 0.79 } },
        ];

        var checks = TargetChecks.Evaluate(results).ToDictionary(c => c.Name);

        Assert.Equal("PASS", checks["gateway peak / (a) constant peak"].Outcome);
        Assert.EndsWith("within the searches' steps 0.82x to 1.00x; a search stopped where the generator was busy, so that peak may be the generator's", checks["gateway peak / (a) constant peak"].Measured, StringComparison.Ordinal);
        Assert.Equal("PASS", checks["gateway peak / (c) Redis limiter peak"].Outcome);
        Assert.EndsWith("within the searches' steps 1.23x to 1.50x", checks["gateway peak / (c) Redis limiter peak"].Measured, StringComparison.Ordinal);
    }

    [Fact]
    public void A_half_peak_run_with_errors_counts_as_a_miss()
    {
        TargetResult[] results = [Gateway(1, peak: 30_000, halfPeakP99: 1.0, halfPeakErrors: 3)];

        var check = TargetChecks.Evaluate(results).Single(c => c.Name == "gateway p99 at half of its peak");

        Assert.Equal("MISS", check.Outcome);
    }

    [Fact]
    public void A_baseline_measured_at_the_gateways_half_peak_rate_is_shown_as_context()
    {
        TargetResult[] results =
        [
            Gateway(1, peak: 30_000, halfPeakP99: 2.5),
            Constant(1, peak: 40_000) with { AtGatewayHalfPeak = Step(15_000, p99: 2.25) },
            Gateway(2, peak: 30_000, halfPeakP99: 2.5),
            Constant(2, peak: 40_000) with { AtGatewayHalfPeak = Step(15_000, p99: 3.0) },
        ];

        var checks = TargetChecks.Evaluate(results).ToDictionary(c => c.Name);

        var sameRate = checks["(a) constant p99 at the gateway's half-peak rate"];
        Assert.Equal("context", sameRate.Outcome);
        Assert.Equal("median 2.63 ms; rounds: 2.25 ms at 15,000/s, 3.00 ms at 15,000/s", sameRate.Measured);
        Assert.DoesNotContain("(c) Redis limiter p99 at the gateway's half-peak rate", checks.Keys);
    }

    private static TargetResult Gateway(int round, double peak, double halfPeakP99, long halfPeakErrors = 0) =>
        new TargetResult(TargetCatalog.Gateway, "gateway", [], Step(peak, p99: 1), Step(peak / 2, halfPeakP99) with { Errors = halfPeakErrors }) { Round = round };

    private static TargetResult Redis(int round, double peak) => Baseline(TargetCatalog.Redis, round, peak);

    private static TargetResult Constant(int round, double peak) => Baseline(TargetCatalog.Constant, round, peak);

    private static TargetResult Baseline(string name, int round, double peak) =>
        new TargetResult(name, name, [], Step(peak, p99: 1), Step(peak / 2, p99: 1)) { Round = round };

    /// <summary>A step offered <paramref name="rate"/> and answered at 90 % of it: not sustained.</summary>
    private static StepResult Missed(double rate) => Step(rate, p99: 1) with { AchievedPerSecond = rate * 0.9 };

    private static StepResult Step(double rate, double p99) =>
        new(rate, rate, (long)rate, 0, 0, 0.1, 0.5, p99, 0.1, null);
}
