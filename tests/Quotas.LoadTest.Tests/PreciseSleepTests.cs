using Quotas.LoadTest.Load;

namespace Quotas.LoadTest.Tests;

public sealed class PreciseSleepTests
{
    /// <summary>The dispatcher's sleeps wake on time: its thread's timer slack is 1 ns instead of Linux's 50 µs; other threads keep theirs.</summary>
    [Fact]
    public void The_timer_slack_is_tightened_for_the_calling_thread_only()
    {
        long? tightened = null;
        long? other = null;
        var dispatcher = new Thread(() => tightened = PreciseSleep.TightenTimerSlack());
        dispatcher.Start();
        dispatcher.Join();
        var untouched = new Thread(() => other = PreciseSleep.TimerSlack());
        untouched.Start();
        untouched.Join();

        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(tightened); // only Linux has a timer slack to set
            return;
        }

        Assert.Equal(1, tightened);
        Assert.NotNull(other);
        Assert.NotEqual(1, other);
    }
}
