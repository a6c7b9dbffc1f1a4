using Grains.Messaging;

namespace Grains.Runtime.Tests;

/// <summary>A remote call's deadline is read on the receiving process's clock, whatever the sender's clock says.</summary>
public sealed class CallDeadlineTests
{
    private const long Now = 1_000_000;
    private const long Timeout = 30_000;

    [Theory]
    [InlineData(Now + Timeout, Now + Timeout)]             // clocks agree
    [InlineData(Now - 40_000 + Timeout, Now + Timeout)]    // the receiver's clock is 40 s ahead: not expired on arrival
    [InlineData(Now + 40_000 + Timeout, Now + 40_000 + Timeout)] // the receiver's clock is behind: the caller's longer wait is kept
    [InlineData(Now + 120_000, Now + 120_000)]             // a caller that waits longer than the method's timeout
    [InlineData(0, 0)]                                     // no deadline
    [InlineData(long.MaxValue, Now + ClusterRouter.MaxRemoteWaitMilliseconds)] // a deadline from the wire centuries ahead: a day
    public void A_remote_deadline_keeps_at_least_the_method_s_timeout_from_arrival(long senderDeadline, long local) =>
        Assert.Equal(local, ClusterRouter.LocalDeadline(Now, Timeout, senderDeadline));
}
