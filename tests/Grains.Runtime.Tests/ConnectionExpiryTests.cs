using System.Buffers;
using System.IO.Pipelines;
using Grains.Testing;
using Grains.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using static Grains.Runtime.Tests.ConnectionPair;

namespace Grains.Runtime.Tests;

/// <summary>
/// A callee that never answers (a hung grain) must not keep an entry per call on the caller's connection for as long
/// as it lives: a request leaves the table once its deadline has passed, by the connection's clock.
/// </summary>
public sealed class ConnectionExpiryTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_request_nobody_answers_leaves_the_table_at_the_first_check_after_its_deadline_and_a_late_answer_is_dropped()
    {
        var silo = new HeldRequests();
        var replies = new ReplyLog();
        var clock = new ManualTimeProvider();
        var (caller, callee) = Connect(silo, clock);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var hung = await SendAsync(caller, replies, now + 2_500);
        var later = await SendAsync(caller, replies, now + 10_000);
        var forever = await SendAsync(caller, replies);
        for (var i = 0; i < 3; i++)
        {
            await silo.Arrived.ReadAsync();
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(replies.Expired);
        Assert.Equal(3, caller.OutstandingCount);

        clock.Advance(GrainConnection.ExpiryInterval);
        Assert.Equal([hung], replies.Expired);
        Assert.Equal(2, caller.OutstandingCount);

        // The answer that comes too late reaches nobody; the requests still within their deadlines are answered as usual.
        Answer(callee, hung);
        Answer(callee, later);
        Answer(callee, forever);
        Assert.Same(later, await replies.Answered.ReadAsync().AsTask().WaitAsync(s_patience));
        Assert.Same(forever, await replies.Answered.ReadAsync().AsTask().WaitAsync(s_patience));
        Assert.Equal(0, caller.OutstandingCount);
        Assert.False(replies.Answered.TryRead(out _));
        Assert.Equal([hung], replies.Expired);
        Assert.Empty(replies.Lost);
    }

    [Fact]
    public async Task A_draining_connection_whose_last_request_hangs_closes_once_that_request_expires()
    {
        var silo = new HeldRequests();
        var replies = new ReplyLog();
        var clock = new ManualTimeProvider();
        var (caller, callee) = Connect(silo, clock);
        var hung = await SendAsync(caller, replies, clock.GetUtcNow().ToUnixTimeMilliseconds() + 1_000);
        await silo.Arrived.ReadAsync();

        callee.SendGoAway();
        await caller.DrainStarted.WaitAsync(s_patience);
        Assert.False(caller.IsClosed);

        clock.Advance(GrainConnection.ExpiryInterval);
        await caller.Closed.WaitAsync(s_patience);
        await callee.Closed.WaitAsync(s_patience);

        Assert.Equal([hung], replies.Expired);
        Assert.Empty(replies.Lost);
        Assert.Equal(0, clock.ActiveTimerCount); // the closed connection looks for overdue requests no more
    }

    /// <summary>
    /// A peer that lets a call run past its deadline and then answers no ping either (its host gone without a word):
    /// the connection closes, failing what it still carries, rather than take every later call to its deadline.
    /// </summary>
    [Fact]
    public async Task A_connection_whose_peer_answers_neither_a_call_nor_a_ping_closes()
    {
        var silo = new HeldRequests();
        var replies = new ReplyLog();
        var clock = new ManualTimeProvider();
        var (caller, _) = Connect(silo, clock, new SiloNetworkFaults { Isolated = true });
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var hung = await SendAsync(caller, replies, now + 1_000);
        var waiting = await SendAsync(caller, replies);
        await silo.Arrived.ReadAsync();
        await silo.Arrived.ReadAsync();

        clock.Advance(GrainConnection.ExpiryInterval);
        Assert.Equal([hung], replies.Expired);
        Assert.False(caller.IsClosed);

        clock.Advance(new TransportOptions().LivenessTimeout);
        await caller.LastProbe.WaitAsync(s_patience);
        await caller.Closed.WaitAsync(s_patience);
        Assert.Equal([waiting], replies.Lost.Select(lost => lost.Request));
    }

    /// <summary>
    /// A peer whose answer to a probe's ping does not come in time (here it never comes) but that sends another frame
    /// while the ping waits is alive: a silo busy sending answers is not voted dead, however far its pong waits behind
    /// them. One that sends nothing is not. (The peer is the test itself, writing frames on the connection's way in.)
    /// </summary>
    [Fact]
    public async Task A_probe_counts_a_peer_that_sends_any_frame_while_its_ping_waits_as_alive()
    {
        var replies = new ReplyLog();
        var clock = new ManualTimeProvider();
        var timeout = TimeSpan.FromSeconds(1);
        var toCaller = new Pipe();
        var caller = new GrainConnection(
            "peer", new DuplexPipe(toCaller.Reader, new Pipe().Writer), () => { }, null, new TransportOptions(), new SiloNetworkFaults(), NullLogger.Instance, clock);
        caller.Start();
        var request = await SendAsync(caller, replies);

        var busy = caller.ProbeAsync(0, "prober", timeout, clock);
        var answer = GrainConnection.ControlFrame(MessageKind.Response, request.CorrelationId, 0, "");
        toCaller.Writer.Write(answer.Memory.Span);
        answer.Return();
        await toCaller.Writer.FlushAsync();
        await replies.Answered.ReadAsync().AsTask().WaitAsync(s_patience);
        clock.Advance(timeout);
        var silent = caller.ProbeAsync(0, "prober", timeout, clock);
        clock.Advance(timeout);

        Assert.True(await busy.WaitAsync(s_patience));
        Assert.False(await silent.WaitAsync(s_patience));
        Assert.False(caller.IsClosed);
        caller.Abort();
    }

    /// <summary>A grain that hangs is no reason to close: its silo answers the ping, and the connection carries on.</summary>
    [Fact]
    public async Task A_connection_whose_peer_answers_the_ping_stays_open_after_a_call_ran_past_its_deadline()
    {
        var silo = new HeldRequests();
        var replies = new ReplyLog();
        var clock = new ManualTimeProvider();
        var (caller, callee) = Connect(silo, clock);
        await SendAsync(caller, replies, clock.GetUtcNow().ToUnixTimeMilliseconds() + 1_000);
        await silo.Arrived.ReadAsync();

        clock.Advance(GrainConnection.ExpiryInterval);
        await caller.LastProbe.WaitAsync(s_patience);
        clock.Advance(new TransportOptions().LivenessTimeout);

        Assert.False(caller.IsClosed);
        var next = await SendAsync(caller, replies);
        await silo.Arrived.ReadAsync();
        Answer(callee, next);
        Assert.Same(next, await replies.Answered.ReadAsync().AsTask().WaitAsync(s_patience));
    }
}
