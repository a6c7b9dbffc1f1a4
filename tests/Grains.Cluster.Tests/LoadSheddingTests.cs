using Grains.Cluster.TestGrains;
using Grains.Testing;

namespace Grains.Cluster.Tests;

public sealed class LoadSheddingTests
{
    /// <summary>
    /// A call no grain made, sent from a silo's own process (a gateway running in the silo, as the default host role
    /// does) to a grain on another silo, is refused when that grain's queue is full, as a client's call is. It was taken
    /// for a call a grain made, since it came from a silo, and queued without bound.
    /// </summary>
    [Fact]
    public async Task A_call_from_outside_any_grain_through_another_silo_is_refused_when_the_queue_is_full()
    {
        var ledger = new ActivationLedger();
        var options = Clusters.Options(ledger, 2);
        options.ConfigureGrains = grains => grains.MaxQueuedCallsPerActivation = 3;
        await using var cluster = await TestCluster.StartAsync(options);
        var factory = cluster.Silos[0].GrainFactory;
        var remote = cluster.Silos[1].Address.ToString();
        string? key = null;
        for (var i = 0; key is null && i < 200; i++)
        {
            key = await factory.GetGrain<IPlacedGrain>($"shed-{i}").Silo() == remote ? $"shed-{i}" : null;
        }

        Assert.NotNull(key);
        var grain = factory.GetGrain<IPlacedGrain>(key);
        var held = grain.Hold();
        await ledger.Entered(key);
        // Sent in order on the one connection to the grain's silo, which reads them in order: three wait, the fourth finds no room.
        var waiting = Enumerable.Range(0, 3).Select(_ => grain.Add(1)).ToList();

        await Assert.ThrowsAsync<GrainOverloadedException>(() => grain.Add(1));

        ledger.Release(key);
        await held;
        Assert.Equal([1, 2, 3], (await Task.WhenAll(waiting)).Order());
    }
}
