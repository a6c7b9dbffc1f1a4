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
}
