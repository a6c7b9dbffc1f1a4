using Grains.Messaging;

namespace Grains.Runtime.Tests;

/// <summary>
/// A leaving silo waits for the calls it had received when it began to wait, not for a moment with none in flight,
/// which steady traffic through the leaving silo would never give it.
/// </summary>
public sealed class InboundCallTrackerTests
{
    [Fact]
    public void A_cut_waits_for_the_calls_received_before_it_and_not_for_those_after()
    {
        var tracker = new InboundCallTracker();
        var before = tracker.Started();
        var cut = tracker.Cut();
        var after = tracker.Started();

        Assert.False(cut.Answered);
        before.Completed();

        Assert.True(cut.Answered);
        Assert.False(tracker.Cut().Answered);
        after.Completed();
    }

    [Fact]
    public void A_later_cut_also_waits_for_a_call_an_earlier_cut_stopped_waiting_for()
    {
        var tracker = new InboundCallTracker();
        var straggler = tracker.Started();
        tracker.Cut(); // the first wait ran out of time with the straggler unanswered
        var between = tracker.Started();
        between.Completed();

        var second = tracker.Cut();

        Assert.False(second.Answered);
        straggler.Completed();
        Assert.True(second.Answered);
    }

    [Fact]
    public async Task Calls_received_on_many_threads_while_cuts_are_made_are_each_waited_for_by_the_cuts_after_them()
    {
        var tracker = new InboundCallTracker();
        var open = new System.Collections.Concurrent.ConcurrentQueue<InboundCallTracker.Cohort>();
        var receivers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                open.Enqueue(tracker.Started());
            }
        })).ToArray();
        var cuts = new List<InboundCallTracker.Cohort>();
        while (!receivers.All(r => r.IsCompleted))
        {
            cuts.Add(tracker.Cut());
            await Task.Yield();
        }

        await Task.WhenAll(receivers);
        var last = tracker.Cut();
        Assert.False(last.Answered);
        while (open.TryDequeue(out var call))
        {
            call.Completed();
        }

        Assert.True(last.Answered);
        Assert.All(cuts, cut => Assert.True(cut.Answered));
    }
}
