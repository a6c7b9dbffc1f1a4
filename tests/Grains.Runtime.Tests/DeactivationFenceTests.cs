using Grains.Runtime.Tests.Grains;
using Grains.Storage;
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
        var services = options.ConfigureServices!;
        options.ConfigureServices = s =>
        {
            services(s);
            held.Install(s);
        };
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

    /// <summary>Wraps the silo's default storage so that a test can hold the next state write until it lets it go on.</summary>
    private sealed class HeldWrites
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _proceed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;

        public Task Entered => _entered.Task;

        public void HoldNext() => Volatile.Write(ref _armed, 1);

        public void Proceed() => _proceed.SetResult();

        public void Install(IServiceCollection services)
        {
            var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, "Default"));
            services.Remove(original);
            services.AddKeyedSingleton<IGrainStorage>("Default", (provider, key) => new Storage((IGrainStorage)original.KeyedImplementationFactory!(provider, key), this));
        }

        private async Task BeforeWriteAsync()
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _entered.SetResult();
                await _proceed.Task;
            }
        }

        private sealed class Storage(IGrainStorage inner, HeldWrites held) : IGrainStorage
        {
            public Task<StoredState<TState>> ReadAsync<TState>(GrainStateKey key, CancellationToken cancellationToken) => inner.ReadAsync<TState>(key, cancellationToken);

            public async Task<string> WriteAsync<TState>(GrainStateKey key, TState state, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
            {
                await held.BeforeWriteAsync();
                return await inner.WriteAsync(key, state, etag, expiresAt, cancellationToken);
            }

            public Task<string> ClearAsync(GrainStateKey key, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken) =>
                inner.ClearAsync(key, etag, expiresAt, cancellationToken);
        }
    }
}
