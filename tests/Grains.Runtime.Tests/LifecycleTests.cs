using Grains.Runtime.Tests.Grains;
using Grains.Storage;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Runtime.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public async Task Idle_grain_is_collected_after_the_collection_age_and_reactivates_with_its_state()
    {
        var probe = new LifecycleProbe();
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(probe, time: time, grains: g =>
        {
            g.CollectionAge = TimeSpan.FromMinutes(10);
            g.CollectionQuantum = TimeSpan.FromMinutes(1);
        });
        var grain = cluster.GrainFactory.GetGrain<ICounterGrain>("idle");
        await grain.Increment(5);

        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Empty(probe.Deactivations);
        time.Advance(TimeSpan.FromMinutes(1));
        await probe.WaitUntilAsync(() => probe.Deactivations.Count == 1);

        Assert.Equal(DeactivationReasonCode.IdleCollection, probe.Deactivations.Single().Reason.Code);
        Assert.Equal(5, await grain.Get());
        Assert.Equal(2, probe.ActivationsOf("idle"));
    }

    [Fact]
    public async Task A_call_counts_as_activity_and_postpones_collection()
    {
        var probe = new LifecycleProbe();
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(probe, time: time, grains: g =>
        {
            g.CollectionAge = TimeSpan.FromMinutes(10);
            g.CollectionQuantum = TimeSpan.FromMinutes(1);
        });
        var grain = cluster.GrainFactory.GetGrain<ICounterGrain>("busy");
        await grain.Increment(1);

        time.Advance(TimeSpan.FromMinutes(6));
        await grain.Get();
        time.Advance(TimeSpan.FromMinutes(6));

        Assert.Empty(probe.Deactivations);
        Assert.Equal(1, cluster.PrimarySilo.Silo.ActivationCount);
    }

    [Fact]
    public async Task An_activation_that_delayed_its_deactivation_is_not_collected_until_that_time_has_passed()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), time: time);
        var silo = cluster.PrimarySilo.Silo;
        await cluster.GrainFactory.GetGrain<IBehaviourGrain>("held").StayActiveFor(TimeSpan.FromMinutes(30));
        await cluster.GrainFactory.GetGrain<IBehaviourGrain>("free").Touch();

        // The silo's own collection may run as the clock moves; either way only the grain that asked is left.
        time.Advance(TimeSpan.FromMinutes(20));
        await silo.CollectIdleActivationsAsync(TimeSpan.FromMinutes(15));
        Assert.Equal(1, silo.ActivationCount);

        time.Advance(TimeSpan.FromMinutes(11));
        await silo.CollectIdleActivationsAsync(TimeSpan.FromMinutes(15));
        Assert.Equal(0, silo.ActivationCount);
    }

    [Fact]
    public async Task An_activation_that_delayed_its_deactivation_for_ever_is_never_collected_and_an_age_beyond_any_time_collects_nothing()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), time: time);
        var silo = cluster.PrimarySilo.Silo;
        await cluster.GrainFactory.GetGrain<IBehaviourGrain>("kept").StayActiveFor(TimeSpan.MaxValue);
        await cluster.GrainFactory.GetGrain<IBehaviourGrain>("free").Touch();

        // An age too large to be a time (idle since before time began) collects nothing; the clock then moves on a day.
        Assert.Equal(0, await silo.CollectIdleActivationsAsync(TimeSpan.MaxValue));
        time.Advance(TimeSpan.FromDays(1));
        await silo.CollectIdleActivationsAsync(TimeSpan.FromMinutes(15));

        Assert.Equal(1, silo.ActivationCount);
    }

    [Fact]
    public async Task Forced_collection_deactivates_idle_grains_and_waits_for_their_hooks()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        for (var i = 0; i < 10; i++)
        {
            await cluster.GrainFactory.GetGrain<ICounterGrain>($"g{i}").Increment(i);
        }

        var collected = await cluster.PrimarySilo.Silo.CollectIdleActivationsAsync(TimeSpan.Zero);

        Assert.Equal(10, collected);
        Assert.Equal(0, cluster.PrimarySilo.Silo.ActivationCount);
        Assert.Equal(10, probe.Deactivations.Count);
        Assert.Equal(7, await cluster.GrainFactory.GetGrain<ICounterGrain>("g7").Get());
    }

    [Fact]
    public async Task Deactivate_on_idle_ends_the_activation_after_the_current_call()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var grain = cluster.GrainFactory.GetGrain<ICounterGrain>("asked");
        await grain.Increment(3);

        await grain.Deactivate();
        await probe.WaitUntilAsync(() => probe.Deactivations.Count == 1);

        Assert.Equal(DeactivationReasonCode.ApplicationRequested, probe.Deactivations.Single().Reason.Code);
        Assert.Equal(3, await grain.Get());
        Assert.Equal(2, probe.ActivationsOf("asked"));
    }

    [Fact]
    public async Task Calls_queued_behind_a_deactivation_are_delivered_to_the_next_activation()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var grain = cluster.GrainFactory.GetGrain<ICounterGrain>("rerouted");

        var calls = new List<Task<int>> { grain.Increment(1) };
        var deactivate = grain.Deactivate();
        for (var i = 0; i < 50; i++)
        {
            calls.Add(grain.Increment(1));
        }

        await deactivate;
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(1, 51), results.Order());
        Assert.Equal(51, await grain.Get());
    }

    /// <summary>Only the grain whose write conflicted goes: a caller that lets the conflict through keeps its activation.</summary>
    [Fact]
    public async Task A_storage_conflict_in_a_called_grain_deactivates_that_grain_and_not_its_caller()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var caller = cluster.GrainFactory.GetGrain<IBehaviourGrain>("caller");
        await caller.IncrementCounter("conflicted", 1);
        var etag = await cluster.GrainFactory.GetGrain<ICounterGrain>("conflicted").GetEtag();
        var storage = cluster.PrimarySilo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        await storage.WriteAsync(new GrainStateKey(GrainId.Create("counter", "conflicted"), "counter"), new CounterState { Value = 100 }, etag, null, CancellationToken.None);

        await Assert.ThrowsAsync<InconsistentStateException>(() => caller.IncrementCounter("conflicted", 1));
        await probe.WaitUntilAsync(() => probe.Deactivations.Count == 1);

        Assert.Equal("conflicted", probe.Deactivations.Single().GrainKey);
        Assert.Equal(2, await caller.CounterCalls());
    }

    [Fact]
    public async Task Write_with_a_stale_etag_throws_and_deactivates_so_the_next_call_reads_current_state()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var grain = cluster.GrainFactory.GetGrain<ICounterGrain>("conflict");
        await grain.Increment(1);
        var etag = await grain.GetEtag();

        // Another writer (as a duplicate activation would) changes the row behind the grain's back.
        var storage = cluster.PrimarySilo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        var key = new GrainStateKey(GrainId.Create("counter", "conflict"), "counter");
        await storage.WriteAsync(key, new CounterState { Value = 100 }, etag, null, CancellationToken.None);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Increment(1));
        await probe.WaitUntilAsync(() => probe.Deactivations.Count == 1);

        Assert.Equal(DeactivationReasonCode.InconsistentState, probe.Deactivations.Single().Reason.Code);
        Assert.Equal(100, await grain.Get());
        Assert.Equal(101, await grain.Increment(1));
    }

    [Fact]
    public async Task Cleared_state_reads_as_default_after_reactivation()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var grain = cluster.GrainFactory.GetGrain<ICounterGrain>("cleared");
        await grain.Increment(9);

        await grain.Clear();
        await cluster.PrimarySilo.Silo.CollectIdleActivationsAsync(TimeSpan.Zero);

        Assert.Equal(0, await grain.Get());
        Assert.Equal(1, await grain.Increment(1));
    }

    [Fact]
    public async Task Stored_state_that_fails_to_deserialize_fails_the_call_with_a_clear_error_and_keeps_the_row()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var storage = cluster.PrimarySilo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        var key = new GrainStateKey(GrainId.Create("counter", "corrupt"), "counter");
        await storage.WriteAsync(key, new { value = "not a number" }, null, null, CancellationToken.None);

        var error = await Assert.ThrowsAsync<GrainStateSerializationException>(
            () => cluster.GrainFactory.GetGrain<ICounterGrain>("corrupt").Get());

        Assert.Contains("counter/corrupt", error.Message);
        Assert.Contains(typeof(CounterState).FullName!, error.Message);
        var kept = await storage.ReadAsync<Dictionary<string, string>>(key, CancellationToken.None);
        Assert.Equal("not a number", kept.State!["value"]);
    }

    [Fact]
    public async Task Timer_ticks_run_as_turns_and_wait_for_a_running_call()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), time: time);
        var grain = cluster.GrainFactory.GetGrain<ITimerGrain>("ticking");
        await grain.Start(TimeSpan.FromSeconds(10));

        // Block is enqueued (and started) before the tick falls due, so the tick must wait for it.
        var blocked = grain.Block();
        time.Advance(TimeSpan.FromSeconds(10));
        await grain.Finish();
        await blocked;
        // A call queued behind tick 1 completes only after that tick's turn (which re-arms the timer) has ended.
        Assert.Equal(["block start", "block end", "tick 1"], await grain.Log());
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(["block start", "block end", "tick 1", "tick 2"], await grain.Log());
    }

    [Fact]
    public async Task A_timer_changed_by_its_own_callback_keeps_the_change()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), time: time);
        var grain = cluster.GrainFactory.GetGrain<ITimerGrain>("rescheduled");
        await grain.StartRescheduling();

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(["tick 1"], await grain.Log());

        // Due 1 s after the change, as the callback asked, not at the period the tick would re-arm with.
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["tick 1", "tick 2"], await grain.Log());
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(["tick 1", "tick 2"], await grain.Log());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["tick 1", "tick 2", "tick 3"], await grain.Log());
    }

    [Fact]
    public async Task A_timer_changed_to_never_stops_ticking()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), time: time);
        var grain = cluster.GrainFactory.GetGrain<ITimerGrain>("stopped");
        await grain.Start(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(["tick 1"], await grain.Log());

        await grain.Stop();
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(["tick 1"], await grain.Log());
    }

    [Fact]
    public async Task A_tick_waiting_behind_the_turn_that_stops_its_timer_does_not_run()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), time: time);
        var grain = cluster.GrainFactory.GetGrain<ITimerGrain>("stopped-while-due");
        await grain.Start(TimeSpan.FromSeconds(10));

        // The tick falls due while a turn runs, and waits; that turn stops the timer.
        var stopping = grain.BlockThenStop();
        time.Advance(TimeSpan.FromSeconds(10));
        await grain.Finish();
        await stopping;
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(["block start", "block end"], await grain.Log());
    }
}
