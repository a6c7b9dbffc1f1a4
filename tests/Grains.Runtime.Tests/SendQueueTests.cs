using System.IO.Pipelines;
using Grains.Transport;
using static Grains.Runtime.Tests.ConnectionPair;

namespace Grains.Runtime.Tests;

/// <summary>
/// Calls to a peer that reads more slowly than they come wait for room in the send queue, at most as many as the queue
/// holds: one past them is refused at once, not written, so that its caller retries after a pause. They waited without
/// bound before, each holding its frame.
/// </summary>
public sealed class SendQueueTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Calls_past_a_full_queue_and_its_waiters_are_refused_unwritten_and_the_waiters_go_through_once_the_peer_reads()
    {
        var silo = new FirstRequestHeld();
        var replies = new ReplyLog();
        var toCallee = new Pipe(new PipeOptions(pauseWriterThreshold: 1, resumeWriterThreshold: 1));
        var (caller, _) = Connect(silo, new TransportOptions { SendQueueCapacity = 2 }, toCallee);
        await SendAsync(caller, replies);
        await silo.Entered.Task.WaitAsync(s_patience); // the callee's reading stops inside the first request

        const int Sent = 20;
        var sends = Enumerable.Range(0, Sent).Select(_ => SendAsync(caller, replies)).ToList();

        var lost = replies.Lost;
        Assert.NotEmpty(lost);
        Assert.All(lost, l => Assert.False(l.Written));
        Assert.Equal(1 + Sent - lost.Count, caller.OutstandingCount);

        silo.Release.SetResult();
        await Task.WhenAll(sends).WaitAsync(s_patience);
        for (var arrived = 0; arrived < Sent - lost.Count; arrived++)
        {
            await silo.Arrived.ReadAsync().AsTask().WaitAsync(s_patience);
        }
    }
}
