namespace Grains.Runtime.Tests;

public sealed class GrainsOptionsTests
{
    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(10_000, true)]
    public void A_queue_bound_is_zero_for_none_or_positive(int maxQueued, bool valid)
    {
        var result = new GrainsOptionsValidator().Validate(null, new GrainsOptions { MaxQueuedCallsPerActivation = maxQueued });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Grains:MaxQueuedCallsPerActivation must be 0 (no bound) or more", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    /// <summary>A timer waits at most about 49.7 days: a longer activation timeout would fail every activation at its start.</summary>
    [Theory]
    [InlineData("00:00:00", false)]
    [InlineData("00:00:01", true)]
    [InlineData("49.00:00:00", true)]
    [InlineData("365.00:00:00", false)]
    public void An_activation_timeout_is_positive_and_at_most_49_days(string timeout, bool valid)
    {
        var result = new GrainsOptionsValidator().Validate(null, new GrainsOptions { ActivationTimeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Grains:ActivationTimeout must be", result.FailureMessage, StringComparison.Ordinal);
        }
    }
}
