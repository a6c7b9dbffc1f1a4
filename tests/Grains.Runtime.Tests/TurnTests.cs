using Grains.Runtime.Tests.Grains;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Runtime.Tests;

public sealed class TurnTests
{
    private const int Callers = 1000;

    [Fact]
    public async Task Thousand_concurrent_callers_get_answers_and_turns_never_overlap()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<ITurnGrain>("one");

        var positions = await Task.WhenAll(StartConcurrently(Callers, grain.Work));

        Assert.Equal(Enumerable.Range(1, Callers), positions.Order());
        var report = await grain.Report();
        Assert.Equal(Callers, report.Calls);
        Assert.Equal(0, report.ParallelTurns);
        Assert.Equal(1, report.MaxInterleavedCalls);
    }

    [Fact]
    public async Task Reentrant_grain_interleaves_calls_at_awaits_but_never_runs_turns_in_parallel()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<IReentrantTurnGrain>("one");

        var positions = await Task.WhenAll(StartConcurrently(Callers, grain.Work));

        Assert.Equal(Enumerable.Range(1, Callers), positions.Order());
        var report = await grain.Report();
        Assert.Equal(0, report.ParallelTurns);
        Assert.True(report.MaxInterleavedCalls > 1, $"expected interleaved calls, saw at most {report.MaxInterleavedCalls} at once");
    }

    [Fact]
    public async Task Reentrant_grain_runs_an_ordinary_call_while_another_waits()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<IReentrantTurnGrain>("one");

        var waiting = grain.WaitForRelease();
        await grain.ReleaseInTurn();

        Assert.Equal(1, await waiting);
    }

    [Fact]
    public async Task Always_interleave_method_runs_while_a_non_reentrant_call_waits()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<ITurnGrain>("one");

        var waiting = grain.WaitForRelease();
        await grain.Release();

        Assert.Equal(1, await waiting);
    }

    [Fact]
    public async Task Non_reentrant_grain_holds_an_ordinary_call_until_the_running_call_ends()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), time: time, grains: g => g.ResponseTimeout = TimeSpan.FromSeconds(10));
        var grain = cluster.GrainFactory.GetGrain<ITurnGrain>("one");

        var waiting = grain.WaitForRelease();
        var release = grain.ReleaseInTurn();
        time.Advance(TimeSpan.FromSeconds(10));

        // The release never ran: had it run, the waiting call would have completed instead of timing out.
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => waiting);
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => release);
        await grain.Release();
    }

    [Fact]
    public async Task Always_interleave_call_queued_during_activation_does_not_wait_behind_a_blocked_call()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<IGatedTurnGrain>("gated");

        var waiting = grain.WaitForRelease();
        var inTurn = grain.ReleaseInTurn();
        var interleaving = grain.Release();
        cluster.PrimarySilo.Services.GetRequiredService<ActivationGate>().Open.SetResult();

        await interleaving;
        Assert.Equal(1, await waiting);
        await inTurn;
    }

    /// <summary>
    /// A busy grain keeps at most <see cref="GrainsOptions.MaxQueuedCallsPerActivation"/> calls waiting: one more from
    /// outside any grain fails at once and is not run; a call another grain makes, and one that may interleave, still
    /// get through; the ones that waited run.
    /// </summary>
    [Fact]
    public async Task A_busy_grain_refuses_a_call_beyond_its_queue_at_once_and_runs_the_ones_that_waited()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), grains: options => options.MaxQueuedCallsPerActivation = 3);
        var grain = cluster.GrainFactory.GetGrain<ITurnGrain>("busy");
        await grain.Report(); // activated, so that the first call below runs at once
        var relay = cluster.GrainFactory.GetGrain<IBehaviourGrain>("relay");
        await relay.Touch(); // activated and idle: its next turn runs on the test's thread, so its call reaches "busy" before Release

        // The first call runs until released; the executor admits the others in the order they came: three wait, the fourth finds no room.
        var running = grain.WaitForRelease();
        var waiting = Enumerable.Range(0, 3).Select(_ => grain.Work()).ToList();
        var refused = await Assert.ThrowsAsync<GrainOverloadedException>(() => grain.Work());
        Assert.Contains("3 calls waiting", refused.Message);
        var fromGrain = relay.WorkOnTurnGrain("busy");

        await grain.Release();
        Assert.Equal(1, await running);
        Assert.Equal([2, 3, 4], (await Task.WhenAll(waiting)).Order());
        Assert.Equal(5, await fromGrain);
        Assert.Equal(6, await grain.Work());
        Assert.Equal(6, (await grain.Report()).Calls);
    }

    [Fact]
    public async Task A_grain_still_activating_refuses_a_call_beyond_its_queue_and_runs_the_ones_that_waited()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), grains: options => options.MaxQueuedCallsPerActivation = 3);
        var grain = cluster.GrainFactory.GetGrain<IGatedTurnGrain>("flooded");

        var waiting = Enumerable.Range(0, 3).Select(_ => grain.Work()).ToList();
        var refused = await Assert.ThrowsAsync<GrainOverloadedException>(() => grain.Work());
        Assert.Contains("3 calls waiting", refused.Message);

        cluster.PrimarySilo.Services.GetRequiredService<ActivationGate>().Open.SetResult();
        Assert.Equal([1, 2, 3], (await Task.WhenAll(waiting)).Order());
        Assert.Equal(3, (await grain.Report()).Calls); // the refused call never ran
    }

    /// <summary>A reentrant grain runs its calls at once when active, so the queue bound, for calls that wait for each other, refuses none of them while it activates either.</summary>
    [Fact]
    public async Task A_reentrant_grain_still_activating_refuses_no_call()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), grains: options => options.MaxQueuedCallsPerActivation = 3);
        var grain = cluster.GrainFactory.GetGrain<IGatedReentrantTurnGrain>("flooded");

        var waiting = Enumerable.Range(0, 5).Select(_ => grain.Work()).ToList();
        cluster.PrimarySilo.Services.GetRequiredService<ActivationGate>().Open.SetResult();

        Assert.Equal([1, 2, 3, 4, 5], (await Task.WhenAll(waiting)).Order());
    }

    [Fact]
    public async Task Activation_is_quiet_once_no_call_runs_or_waits()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var silo = cluster.PrimarySilo.Silo;
        var id = GrainId.Create("reentrantturn", "quiet");
        Assert.True(silo.ActivationQuietAsync(id).IsCompleted); // no activation here

        var grain = cluster.GrainFactory.GetGrain<IReentrantTurnGrain>("quiet");
        var waiting = grain.WaitForRelease();
        await grain.Report(); // the waiting call runs now
        var quiet = silo.ActivationQuietAsync(id);
        await grain.Report(); // interleaved, and asked after the question: the answer is in by now
        Assert.False(quiet.IsCompleted);

        await grain.Release();
        Assert.Equal(1, await waiting);
        await quiet.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static Task<T>[] StartConcurrently<T>(int count, Func<Task<T>> call)
    {
        var calls = new Task<T>[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => calls[i] = call());
        return calls;
    }
}
