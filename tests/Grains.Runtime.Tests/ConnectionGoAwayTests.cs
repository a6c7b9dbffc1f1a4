using Grains.Testing;
using Grains.Transport;
using static Grains.Runtime.Tests.ConnectionPair;

namespace Grains.Runtime.Tests;

/// <summary>
/// The close handshake of a leaving silo, on two connections joined by in-memory pipes: the silo's side says
/// GoAway; the caller's side sends nothing new, lets its requests in flight finish, then closes.
/// </summary>
public sealed class ConnectionGoAwayTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_connection_told_to_go_away_sends_nothing_new_waits_for_its_answers_then_closes()
    {
        var silo = new HeldRequests();
        var replies = new ReplyLog();
        var (caller, callee) = Connect(silo);

        var first = await SendAsync(caller, replies);
        var second = await SendAsync(caller, replies);
        var arrived = new[] { await silo.Arrived.ReadAsync(), await silo.Arrived.ReadAsync() };
        Assert.Equal([first.CorrelationId, second.CorrelationId], arrived.Order());

        callee.SendGoAway();
        await caller.DrainStarted.WaitAsync(s_patience);
        var third = await SendAsync(caller, replies);

        Assert.False(caller.AcceptsRequests);
        Assert.Equal([(third, false)], replies.Lost);
        Assert.False(caller.IsClosed);

        Answer(callee, first);
        Assert.Same(first, await replies.Answered.ReadAsync().AsTask().WaitAsync(s_patience));
        Assert.False(caller.IsClosed);

        Answer(callee, second);
        Assert.Same(second, await replies.Answered.ReadAsync().AsTask().WaitAsync(s_patience));
        await caller.Closed.WaitAsync(s_patience);
        await callee.Closed.WaitAsync(s_patience);

        Assert.False(silo.Arrived.TryRead(out _));
        Assert.Equal([(third, false)], replies.Lost);
    }

    [Fact]
    public async Task A_connection_with_nothing_in_flight_closes_as_soon_as_it_is_told_to_go_away()
    {
        var replies = new ReplyLog();
        var (caller, callee) = Connect(new HeldRequests());

        callee.SendGoAway();
        await caller.Closed.WaitAsync(s_patience);
        await callee.Closed.WaitAsync(s_patience);
        await SendAsync(caller, replies);

        Assert.Single(replies.Lost);
        Assert.False(replies.Lost[0].Written);
    }

    [Fact]
    public async Task A_retired_connection_sends_nothing_new_and_gives_up_on_its_calls_after_the_grace_period()
    {
        var silo = new HeldRequests();
        var replies = new ReplyLog();
        var clock = new ManualTimeProvider();
        var (caller, callee) = Connect(silo);
        var held = await SendAsync(caller, replies);
        await silo.Arrived.ReadAsync();

        var retiring = caller.RetireAsync(TimeSpan.FromSeconds(2), clock);
        var refused = await SendAsync(caller, replies);
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.False(caller.IsClosed);
        Assert.Equal([(refused, false)], replies.Lost);

        clock.Advance(TimeSpan.FromSeconds(1));
        await retiring.WaitAsync(s_patience);
        await callee.Closed.WaitAsync(s_patience);

        Assert.True(caller.IsClosed);
        Assert.Equal([(refused, false), (held, true)], replies.Lost);
        Assert.False(silo.Arrived.TryRead(out _));
    }
}
