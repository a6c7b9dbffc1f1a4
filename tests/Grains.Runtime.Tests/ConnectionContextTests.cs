using Grains.Transport;
using static Grains.Runtime.Tests.ConnectionPair;

namespace Grains.Runtime.Tests;

/// <summary>
/// A connection is started on whatever thread first needs it: a grain's turn, for the first call to a silo. Its read
/// loop then ran on that turn's context, so every reply and pong of the connection waited in that grain's mailbox, and
/// a grain busy for seconds held up the calls of every other grain to that silo, and the probes of it.
/// </summary>
public sealed class ConnectionContextTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_connection_started_on_a_context_that_runs_nothing_still_reads_its_replies()
    {
        var silo = new HeldRequests();
        var replies = new ReplyLog();
        var busyGrain = new ContextThatRunsNothing();
        var (caller, callee) = busyGrain.Start(() => Connect(silo));

        var request = await SendAsync(caller, replies);
        await silo.Arrived.ReadAsync().AsTask().WaitAsync(s_patience);
        Answer(callee, request);

        Assert.Same(request, await replies.Answered.ReadAsync().AsTask().WaitAsync(s_patience));
        Assert.Equal(0, busyGrain.Posted);
        caller.Abort();
        callee.Abort();
    }
}
