using Grains.Cluster.TestGrains;
using Grains.Testing;

namespace Grains.Cluster.Tests;

public sealed class PlacementTests
{
    private const int GrainCount = 10_000;

    [Fact]
    public async Task Three_silos_share_ten_thousand_grains_evenly_and_a_fourth_silo_moves_at_most_35_percent()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 3));
        await using var client = await cluster.CreateClientAsync();
        var keys = Enumerable.Range(0, GrainCount).Select(i => $"spread-{i}").ToArray();

        var before = await HostsAsync(client.GrainFactory, keys);

        foreach (var silo in cluster.Silos)
        {
            var share = before.Values.Count(host => host == silo.Address.ToString()) / (double)GrainCount;
            Assert.InRange(share, 1 / 3.0 - 0.10, 1 / 3.0 + 0.10);
        }

        await cluster.StartAdditionalSiloAsync();
        await cluster.WaitForStableMembershipAsync();
        await client.WaitForActiveSilosAsync(cluster.Silos.Count, TimeSpan.FromSeconds(10));
        var after = await HostsAsync(client.GrainFactory, keys);

        var moved = keys.Count(k => before[k] != after[k]) / (double)GrainCount;
        Assert.InRange(moved, 0.05, 0.35);
        Assert.All(keys.Where(k => before[k] != after[k]), k => Assert.Equal(cluster.Silos[3].Address.ToString(), after[k]));
    }

    [Fact]
    public async Task Every_grain_has_exactly_one_activation_when_all_silos_and_a_client_call_it_at_once()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 3));
        await using var client = await cluster.CreateClientAsync();
        var factories = cluster.Silos.Select(s => s.GrainFactory).Append(client.GrainFactory).ToArray();
        var keys = Enumerable.Range(0, GrainCount).Select(i => $"single-{i}").ToArray();

        foreach (var batch in keys.Chunk(500))
        {
            await Task.WhenAll(batch.SelectMany(key => factories.Select(f => Task.Run(() => f.GetGrain<IPlacedGrain>(key).Silo()))));
        }

        Assert.Equal(GrainCount, keys.Count(k => ledger.ActivationsOf(k) == 1));
    }

    private static async Task<Dictionary<string, string>> HostsAsync(IGrainFactory grains, string[] keys)
    {
        var hosts = new Dictionary<string, string>();
        foreach (var batch in keys.Chunk(500))
        {
            var answers = await Task.WhenAll(batch.Select(k => grains.GetGrain<IPlacedGrain>(k).Silo()));
            for (var i = 0; i < batch.Length; i++)
            {
                hosts[batch[i]] = answers[i];
            }
        }

        return hosts;
    }

}
