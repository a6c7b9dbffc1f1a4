using Grains.Activation;
using Grains.Runtime.Tests.Grains;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Runtime.Tests;

public sealed class CallTests
{
    [Fact]
    public async Task Exception_thrown_in_a_grain_reaches_the_caller_with_its_type_and_message()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<IBehaviourGrain>("thrower");

        var argument = await Assert.ThrowsAsync<ArgumentException>(() => grain.Throw("bad input"));
        var custom = await Assert.ThrowsAsync<GrainFailureException>(() => grain.ThrowCustom("boom"));

        Assert.Equal("bad input", argument.Message);
        Assert.Equal("boom", custom.Message);
        Assert.Equal("after", await grain.Echo("after"));
    }

    [Fact]
    public async Task Value_task_methods_complete()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<IBehaviourGrain>("value-task");

        await grain.Touch();

        Assert.Equal("echo", await grain.Echo("echo"));
    }

    [Fact]
    public async Task One_way_call_returns_at_once_and_runs_in_the_grain()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var grain = cluster.GrainFactory.GetGrain<IBehaviourGrain>("one-way");

        var fired = grain.Fire("fired");

        Assert.True(fired.IsCompletedSuccessfully);
        await probe.WaitUntilAsync(() => probe.Events.Contains("fired"));
    }

    [Fact]
    public async Task Call_that_never_answers_times_out_exactly_at_the_response_timeout()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), time: time, grains: g => g.ResponseTimeout = TimeSpan.FromSeconds(10));
        var grain = cluster.GrainFactory.GetGrain<IBehaviourGrain>("hangs");

        var call = grain.Hang();
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(call.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));

        var timeout = await Assert.ThrowsAsync<GrainCallTimeoutException>(() => call);
        Assert.Equal(TimeSpan.FromSeconds(10), timeout.Timeout);
        Assert.Contains("IBehaviourGrain.Hang", timeout.Message);
        await grain.Unhang();
    }

    [Fact]
    public async Task A_call_whose_caller_timed_out_while_it_waited_for_the_grain_is_not_run()
    {
        var time = new ManualTimeProvider();
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe, time: time, grains: g => g.ResponseTimeout = TimeSpan.FromSeconds(10));
        var grain = cluster.GrainFactory.GetGrain<IBehaviourGrain>("slow");
        var hanging = grain.Hang();
        await probe.WaitUntilAsync(() => probe.Events.Contains("hanging"));
        var queued = grain.Record("late");

        // Both callers give up: the long turn goes on, and the call behind it waits.
        time.Advance(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => queued);
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => hanging);

        // The turn ends. The waiting call's caller stopped waiting (and may have retried): it is dropped, not run,
        // and a call made now runs.
        await grain.Unhang();
        await grain.Record("after");
        Assert.Contains("after", probe.Events);
        Assert.DoesNotContain("late", probe.Events);
    }

    [Fact]
    public async Task Response_timeout_attribute_overrides_the_silo_default()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), time: time, grains: g => g.ResponseTimeout = TimeSpan.FromSeconds(10));
        var grain = cluster.GrainFactory.GetGrain<IBehaviourGrain>("hangs");

        var call = grain.HangWithShortTimeout();
        time.Advance(TimeSpan.FromSeconds(2));

        var timeout = await Assert.ThrowsAsync<GrainCallTimeoutException>(() => call);
        Assert.Equal(TimeSpan.FromSeconds(2), timeout.Timeout);
        await grain.Unhang();
    }

    [Fact]
    public async Task Call_that_never_answers_times_out_on_the_system_clock()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe(), grains: g => g.ResponseTimeout = TimeSpan.FromMilliseconds(300));
        var grain = cluster.GrainFactory.GetGrain<IBehaviourGrain>("hangs");
        var started = TimeProvider.System.GetTimestamp();

        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.Hang().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(TimeProvider.System.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(300));
        await grain.Unhang();
    }

    [Fact]
    public async Task Stopping_a_silo_with_a_hung_call_completes_and_fails_the_waiting_caller()
    {
        var options = Clusters.Options(new LifecycleProbe());
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        await using var cluster = await TestCluster.StartAsync(options);
        var hung = cluster.GrainFactory.GetGrain<IBehaviourGrain>("hung").Hang();

        await cluster.PrimarySilo.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // The call was running when the silo stopped: its outcome is unknown, which a plain SiloUnavailableException
        // ("did not run, retry") would deny.
        var error = await Assert.ThrowsAsync<GrainConnectionLostException>(() => hung);
        Assert.Contains("may or may not have run", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_activation_fails_the_call_and_the_next_call_activates_afresh()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var grain = cluster.GrainFactory.GetGrain<IFailingActivationGrain>("flaky");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Ping());

        Assert.Equal("first activation fails", failure.Message);
        Assert.Equal(2, await grain.Ping());
    }

    [Fact]
    public async Task Activation_that_never_ends_fails_its_calls_at_the_activation_timeout_and_the_next_call_activates_afresh()
    {
        var probe = new LifecycleProbe();
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(probe, time: time, grains: g =>
        {
            g.ActivationTimeout = TimeSpan.FromSeconds(10);
            g.ResponseTimeout = TimeSpan.FromMinutes(5);
        });
        var grain = cluster.GrainFactory.GetGrain<IHangingActivationGrain>("stuck");

        var call = grain.Ping();
        await probe.WaitUntilAsync(() => probe.ActivationsOf("stuck") == 1);
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(call.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));

        var failure = await Assert.ThrowsAsync<GrainActivationTimeoutException>(() => call);
        Assert.Contains("stuck", failure.Message);
        Assert.Contains("Grains:ActivationTimeout", failure.Message);
        Assert.Contains("stuck: activation token cancelled", probe.Events);
        Assert.Equal(2, await grain.Ping());

        // The hook, still running, ends at last: its services were kept for it, and it may not keep the old activation alive.
        cluster.PrimarySilo.Services.GetRequiredService<ActivationGate>().Open.SetResult();
        await probe.WaitUntilAsync(() => probe.Events.Contains("scoped resource disposed"));
        Assert.Equal(
            ["stuck: activation token cancelled", "stuck: resource disposed while the hook ran: False", "stuck: late timer refused", "scoped resource disposed"],
            probe.Events);
    }

    /// <summary>
    /// A service of the activation whose disposal hangs holds no call: the next call activates the grain afresh while
    /// the old activation's disposal still runs. Disposed before the activation left the directory, it used to park
    /// every later call until the silo restarted.
    /// </summary>
    [Fact]
    public async Task A_service_whose_disposal_hangs_does_not_hold_the_grain_s_next_activation()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var grain = cluster.GrainFactory.GetGrain<IHangingDisposalGrain>("slow-dispose");
        Assert.Equal(1, await grain.Ping());

        await grain.Leave();
        await probe.WaitUntilAsync(() => probe.Events.Contains("disposal started"));
        var next = await grain.Ping().WaitAsync(TimeSpan.FromSeconds(10)); // a guard: without the fix, it waits until the silo stops
        cluster.PrimarySilo.Services.GetRequiredService<DisposalGate>().Open.SetResult();
        await probe.WaitUntilAsync(() => probe.Events.Contains("disposal ended"));

        Assert.Equal(2, next);
    }

    /// <summary>
    /// A stop waits for the disposal of services of an activation that left before it, as for one still in the
    /// directory: the host disposes the services those depend on once the silo has stopped.
    /// </summary>
    [Fact]
    public async Task Deactivating_every_activation_waits_for_a_disposal_that_began_before()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var grain = cluster.GrainFactory.GetGrain<IHangingDisposalGrain>("disposing");
        await grain.Ping();
        await grain.Leave();
        await probe.WaitUntilAsync(() => probe.Events.Contains("disposal started"));

        var waited = await DeactivatingAllWaitsUntilOpenedAsync(cluster, cluster.PrimarySilo.Services.GetRequiredService<DisposalGate>().Open);

        Assert.True(waited);
        Assert.Contains("disposal ended", probe.Events);
    }

    /// <summary>
    /// The same for an activation that failed at the activation timeout while its hook still runs: its services are
    /// kept for the hook, and the stop waits for them, rather than let the host dispose what they use under it.
    /// </summary>
    [Fact]
    public async Task Deactivating_every_activation_waits_for_a_failed_activation_s_hook_that_still_runs()
    {
        var probe = new LifecycleProbe();
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(probe, time: time, grains: g => g.ActivationTimeout = TimeSpan.FromSeconds(10));
        var call = cluster.GrainFactory.GetGrain<IHangingActivationGrain>("stuck-at-stop").Ping();
        await probe.WaitUntilAsync(() => probe.ActivationsOf("stuck-at-stop") == 1);
        time.Advance(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<GrainActivationTimeoutException>(() => call);

        var waited = await DeactivatingAllWaitsUntilOpenedAsync(cluster, cluster.PrimarySilo.Services.GetRequiredService<ActivationGate>().Open);

        Assert.True(waited);
        Assert.Contains("scoped resource disposed", probe.Events);
    }

    /// <summary>
    /// Whether deactivating every activation of the silo (as its stop does) waited for <paramref name="gate"/>, opened
    /// once the call has returned: with nothing in the directory, one that waits for nothing has completed by then.
    /// </summary>
    private static async Task<bool> DeactivatingAllWaitsUntilOpenedAsync(TestCluster cluster, TaskCompletionSource gate)
    {
        var all = cluster.PrimarySilo.Services.GetRequiredService<ActivationDirectory>()
            .DeactivateAllAsync(new DeactivationReason(DeactivationReasonCode.ShuttingDown, "test"), CancellationToken.None);
        var waited = !all.IsCompleted;
        gate.SetResult();
        await all.WaitAsync(TimeSpan.FromSeconds(10));
        return waited;
    }

    [Fact]
    public async Task Grain_with_an_unregistered_constructor_service_fails_with_a_message_naming_it()
    {
        await using var cluster = await Clusters.StartAsync(new LifecycleProbe());
        var grain = cluster.GrainFactory.GetGrain<INeedsServiceGrain>("x");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Ping());

        Assert.Contains(nameof(UnregisteredService), failure.Message);
        Assert.Contains(nameof(NeedsServiceGrain), failure.Message);
    }

    [Fact]
    public async Task Calls_after_the_silo_stopped_fail_as_unavailable_and_hooks_ran()
    {
        var probe = new LifecycleProbe();
        await using var cluster = await Clusters.StartAsync(probe);
        var silo = cluster.PrimarySilo;
        var grain = silo.GrainFactory.GetGrain<ICounterGrain>("stopping");
        await grain.Increment(1);

        await silo.StopAsync();

        Assert.Contains(probe.Deactivations, d => d.GrainKey == "stopping" && d.Reason.Code == DeactivationReasonCode.ShuttingDown);
        await Assert.ThrowsAsync<SiloUnavailableException>(() => grain.Get());
    }
}
