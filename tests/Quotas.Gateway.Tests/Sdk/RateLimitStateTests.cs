using Quotas.Client;

namespace Quotas.Gateway.Tests.Sdk;

public sealed class RateLimitStateTests
{
    [Fact]
    public void A_refusal_with_a_wait_reads_every_field()
    {
        var state = Read("\"requests\";q=100;w=60", "\"requests\";r=0;t=18");

        Assert.Equal(new RateLimitState("requests", 100, TimeSpan.FromMinutes(1), 0, TimeSpan.FromSeconds(18)), state);
    }

    /// <summary>
    /// No <c>t</c> means no wait is known (a request larger than the limit, a full gauge): the reset is unknown, not
    /// "now", which would have a client retry at once.
    /// </summary>
    [Fact]
    public void A_field_without_a_reset_reads_as_no_reset_rather_than_now()
    {
        var state = Read("\"cpu\";q=10", "\"cpu\";r=10");

        Assert.NotNull(state);
        Assert.Null(state.Reset);
        Assert.Null(state.Window);
        Assert.Equal(10, state.Remaining);
    }

    /// <summary>Seconds past what a TimeSpan holds read as its largest value; a negative one, which the draft does not allow, as none.</summary>
    [Fact]
    public void Seconds_too_large_for_a_timespan_read_as_its_largest_and_negative_ones_as_none()
    {
        Assert.Equal(TimeSpan.MaxValue, Read("\"slow\";q=10000000;w=922337203686", "\"slow\";r=0;t=922337203686")!.Reset);
        Assert.Equal(TimeSpan.MaxValue, Read("\"slow\";q=10000000;w=922337203686", "\"slow\";r=0;t=1")!.Window);
        Assert.Null(Read("\"slow\";q=1", "\"slow\";r=0;t=-5")!.Reset);
    }

    private static RateLimitState? Read(string policy, string limit)
    {
        using var response = new HttpResponseMessage();
        response.Headers.Add("RateLimit-Policy", policy);
        response.Headers.Add("RateLimit", limit);
        return RateLimitState.From(response.Headers);
    }
}
