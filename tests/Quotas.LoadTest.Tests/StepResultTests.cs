using Quotas.LoadTest.Load;
using Quotas.LoadTest.Load.Http;

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

    /// <summary>A step the target did not sustain while the generator was busy says that the generator may be the limit.</summary>
    [Fact]
    public void A_step_missed_while_the_generator_was_busy_says_the_generator_may_be_its_limit()
    {
        var missed = Step(p99: 150) with { GeneratorBusy = 0.95 };
        var missedIdle = Step(p99: 150) with { GeneratorBusy = 0.5 };
        var sustainedBusy = Step(p99: 1) with { GeneratorBusy = 0.95 };

        Assert.Equal("saturated: p99 > 100 ms (generator 95% busy: may be its limit)", missed.Verdict);
        Assert.False(missed.Sustained);
        Assert.True(missed.GeneratorMayLimit);
        Assert.False(missedIdle.GeneratorMayLimit);
        Assert.Equal("sustained", sustainedBusy.Verdict);
        Assert.False(sustainedBusy.GeneratorMayLimit);
    }

    [Fact]
    public void The_rate_and_p99_rules_come_first()
    {
        var both = Step(p99: 150) with { FirstQuarterP50Milliseconds = 0.3, LastQuarterP50Milliseconds = 120 };

        Assert.Equal("saturated: p99 > 100 ms", both.Verdict);
    }

    /// <summary>
    /// A step records the median latency of its first and last quarters apart, by due time: answers whose latency grows
    /// by 0.02 ms a request (1,000 requests in a second) read about 2.5 ms, then about 17.5 ms, and the step is not sustained
    /// though it answered 98 % of its rate with a p99 of 20 ms.
    /// </summary>
    [Fact]
    public void A_step_records_its_first_and_last_quarters_apart_and_fails_on_a_growing_queue()
    {
        using var client = new LoopbackClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9), maxConnections: 1);
        var plan = new RequestPlan([new Uri("http://127.0.0.1:9/t")], ["k"]);
        var step = new OpenLoopStep(client, plan, new int[ZipfSequence.Length], rate: 1_000, TimeSpan.Zero, TimeSpan.FromSeconds(1), maxOutstanding: 10);
        var ticksPerRequest = System.Diagnostics.Stopwatch.Frequency / 1_000;
        for (long request = 0; request < 1_000; request++)
        {
            var due = request * ticksPerRequest; // the step was never started: its requests fall due from 0
            step.Completed(request, 200, rateLimited: true, due, due + (long)(request * 0.02 * ticksPerRequest));
        }

        var result = step.Result();

        Assert.InRange(result.FirstQuarterP50Milliseconds, 2, 3);
        Assert.InRange(result.LastQuarterP50Milliseconds, 17, 18.5);
        Assert.StartsWith("saturated: latency grew through the step", result.Verdict, StringComparison.Ordinal);
    }

    /// <summary>
    /// Only a 429 that carries a <c>RateLimit</c> header is a quota's answer; another (a throttle of keys that are not
    /// valid, say) is an error, so a misconfigured run cannot read as a fast one.
    /// </summary>
    [Fact]
    public void A_429_without_a_RateLimit_header_is_an_error_not_a_refusal()
    {
        using var client = new LoopbackClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9), maxConnections: 1);
        var plan = new RequestPlan([new Uri("http://127.0.0.1:9/t")], ["k"]);
        var step = new OpenLoopStep(client, plan, new int[ZipfSequence.Length], rate: 1_000, TimeSpan.Zero, TimeSpan.FromSeconds(0.01), maxOutstanding: 10);

        step.Completed(0, 429, rateLimited: true, 0, 1);
        step.Completed(1, 429, rateLimited: false, 0, 1);
        step.Completed(2, 200, rateLimited: false, 0, 1);
        var result = step.Result();

        Assert.Equal((1, 1, 1), (result.Ok, result.Refused, result.Errors));
        Assert.Equal("HTTP 429 without a RateLimit header", result.FirstError);
    }

    private static StepResult Step(double p99) => new(1_000, 1_000, 1_000, 0, 0, 0.2, 0.5, p99, 0.1, null);
}
