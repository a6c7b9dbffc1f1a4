using Grains.Transport;
using static Grains.Runtime.Tests.ConnectionPair;

namespace Grains.Runtime.Tests;

/// <summary>
/// A closed connection is <see cref="GrainConnection.Stopped"/> only once it no longer touches its pipes: the silo's
/// connection handler waits for it before it returns, after which Kestrel completes the pipes and pools their memory.
/// It returned at the close, while the read loop could still be dispatching a frame that is a slice of that memory.
/// </summary>
public sealed class ConnectionStopTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_connection_closed_while_it_dispatches_a_frame_is_stopped_only_once_the_dispatch_is_over()
    {
        var silo = new FirstRequestHeld();
        var (caller, callee) = Connect(silo);
        await SendAsync(caller, new ReplyLog());
        await silo.Entered.Task.WaitAsync(s_patience);

        callee.Abort();

        await callee.Closed.WaitAsync(s_patience);
        Assert.False(callee.Stopped.IsCompleted);
        silo.Release.SetResult();
        await callee.Stopped.WaitAsync(s_patience);
        caller.Abort();
        await caller.Stopped.WaitAsync(s_patience);
    }

    [Fact]
    public async Task A_connection_that_wrote_and_then_closed_is_stopped()
    {
        var silo = new HeldRequests();
        var replies = new ReplyLog();
        var (caller, callee) = Connect(silo);
        var request = await SendAsync(caller, replies);
        await silo.Arrived.ReadAsync().AsTask().WaitAsync(s_patience);
        Answer(callee, request);
        Assert.Same(request, await replies.Answered.ReadAsync().AsTask().WaitAsync(s_patience));

        caller.Abort();

        await caller.Stopped.WaitAsync(s_patience);
        await callee.Stopped.WaitAsync(s_patience); // the caller's end closed the pipe the callee reads
    }
}
