using Grains.Runtime.Tests.Grains;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Grains.Runtime.Tests;

/// <summary>A deactivation hook that runs past Grains:DeactivationTimeout cannot write over the grain's next activation.</summary>
public sealed class DeactivationFenceTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_hook_past_the_timeout_cannot_store_over_what_the_next_activation_read()
    {
        var probe = new LifecycleProbe();
        var time = new ManualTimeProvider();
        await using var cluster = await Clusters.StartAsync(probe, time: time, grains: g => g.DeactivationTimeout = s_timeout);
        var grain = cluster.GrainFactory.GetGrain<ILateWriterGrain>("late");
        await grain.Set(1);
        await grain.ArmHook(100);
        await grain.Deactivate();
        await probe.WaitUntilAsync(() => probe.Events.Contains("hook waiting"));

        time.Advance(s_timeout);
        Assert.Equal(1, await grain.Get()); // a new activation, which read the stored state

        cluster.PrimarySilo.Services.GetRequiredService<HookGate>().Open.SetResult();
        await probe.WaitUntilAsync(() => probe.Events.Any(e => e.StartsWith("late write", StringComparison.Ordinal)));
        Assert.Contains("late write refused: InvalidOperationException", probe.Events);

        // The next activation's own write meets no conflict, and what it stored is what the grain reads after it.
        Assert.Equal(2, await grain.Set(2));
        await grain.Deactivate();
        Assert.Equal(2, await grain.Get());
    }

    [Fact]
    public async Task A_write_under_way_when_the_hook_times_out_is_stored_before_the_next_activation_reads()
    {
        var probe = new LifecycleProbe();
        var time = new ManualTimeProvider();
        var held = new HeldWrites();
        using var logs = new InMemoryLoggerProvider();
        var options = Clusters.Options(probe, time: time, grains: g => g.DeactivationTimeout = s_timeout);
        held.AddTo(options);
        options.ConfigureLogging = l => l.AddProvider(logs);
        await using var cluster = await TestCluster.StartAsync(options);
        var grain = cluster.GrainFactory.GetGrain<ILateWriterGrain>("slow-store");
        await grain.Set(1);
        await grain.ArmHook(100);
        held.HoldNext();
        await grain.Deactivate();
        cluster.PrimarySilo.Services.GetRequiredService<HookGate>().Open.SetResult();
        await held.Entered;

        time.Advance(s_timeout);
        await logs.WaitForAsync(e => e.EventId.Id == 110);
        var read = grain.Get();
        held.Proceed();

        Assert.Equal(100, await read);
        Assert.Contains("late write stored", probe.Events);
    }
}
