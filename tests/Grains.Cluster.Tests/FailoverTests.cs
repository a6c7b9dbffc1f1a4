using Grains.Cluster.TestGrains;
using Grains.Testing;

namespace Grains.Cluster.Tests;

public sealed class FailoverTests
{
    private static readonly string[] s_keys = Enumerable.Range(0, 90).Select(i => $"load-{i}").ToArray();

    [Fact]
    public async Task Killed_silo_is_declared_dead_and_its_grains_come_back_on_the_survivors_with_their_state()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 3));
        await using var client = await cluster.CreateClientAsync();
        await WarmUpAsync(client.GrainFactory);
        var victim = cluster.Silos[1];
        var victimName = victim.Address.ToString();
        var victimKeys = s_keys.Where(k => ledger.HostOf(k) == victimName).ToHashSet();
        Assert.NotEmpty(victimKeys);

        DateTimeOffset killedAt;
        Dictionary<string, GrainTally> tallies;
        await using (var load = new LoadRunner(client.GrainFactory, s_keys, workers: 8))
        {
            await load.WaitForCallsAsync(500, TimeSpan.FromSeconds(30));
            killedAt = DateTimeOffset.UtcNow;
            await cluster.KillSiloAsync(victim);
            await cluster.WaitForStableMembershipAsync(TimeSpan.FromSeconds(10));
            await load.WaitForCallsAsync(2000, TimeSpan.FromSeconds(30));
            tallies = load.Tallies.ToDictionary(p => p.Key, p => p.Value);
        }

        Assert.DoesNotContain(cluster.Silos, s => s.Membership.ActiveSilos.Any(a => a.ToString() == victimName));
        foreach (var (key, tally) in tallies)
        {
            if (victimKeys.Contains(key))
            {
                var recovered = tally.Successes.Where(t => t > killedAt).Min();
                Assert.True(recovered - killedAt <= TimeSpan.FromSeconds(10), $"{key} answered again only after {recovered - killedAt}");
            }
            else
            {
                Assert.True(tally.Failures.IsEmpty, $"{key} lives on a survivor, yet calls failed: {string.Join("; ", tally.Failures.Select(f => f.Error.Message))}");
            }
        }

        await AssertStateIntactAsync(client.GrainFactory, tallies);
    }

    [Fact]
    public async Task Stopping_a_silo_under_load_fails_no_call_and_keeps_every_acknowledged_write()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 3));
        await using var client = await cluster.CreateClientAsync();
        await WarmUpAsync(client.GrainFactory);

        Dictionary<string, GrainTally> tallies;
        await using (var load = new LoadRunner(client.GrainFactory, s_keys, workers: 8))
        {
            await load.WaitForCallsAsync(500, TimeSpan.FromSeconds(30));
            await cluster.StopSiloAsync(cluster.Silos[2]);
            await cluster.WaitForStableMembershipAsync(TimeSpan.FromSeconds(10));
            await load.WaitForCallsAsync(2000, TimeSpan.FromSeconds(30));
            tallies = load.Tallies.ToDictionary(p => p.Key, p => p.Value);
        }

        var failures = tallies.SelectMany(p => p.Value.Failures.Select(f => $"{p.Key}: {f.Error.GetType().Name} {f.Error.Message}")).ToList();
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(10)));
        foreach (var (key, tally) in tallies)
        {
            Assert.Equal(1 + tally.Acknowledged, await client.GrainFactory.GetGrain<IPlacedGrain>(key).Total());
        }
    }

    private static async Task WarmUpAsync(IGrainFactory grains)
    {
        foreach (var key in s_keys)
        {
            Assert.Equal(1, await grains.GetGrain<IPlacedGrain>(key).Add(1));
        }
    }

    /// <summary>Every acknowledged write is in the store; a call whose outcome was unknown may or may not be.</summary>
    private static async Task AssertStateIntactAsync(IGrainFactory grains, Dictionary<string, GrainTally> tallies)
    {
        foreach (var (key, tally) in tallies)
        {
            var total = await grains.GetGrain<IPlacedGrain>(key).Total();
            var acknowledged = 1 + tally.Acknowledged;
            Assert.InRange(total, acknowledged, acknowledged + tally.UnknownOutcome);
        }
    }

    /// <summary>
    /// A grain still activating when its silo stops gracefully (its OnActivateAsync sees the stop) has its waiting call
    /// handed to the successor, which activates it; the call failed with the cancellation before.
    /// </summary>
    [Fact]
    public async Task A_call_to_a_grain_still_activating_when_its_silo_stops_is_answered_by_the_successor()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 2));
        await using var client = await cluster.CreateClientAsync();
        var stopping = cluster.Silos[0];
        var successor = cluster.Silos[1].Address.ToString();
        var key = Enumerable.Range(0, 200).Select(i => $"slow-{i}")
            .First(k => stopping.Membership.ActiveRing.GetOwner(GrainId.Create("slowstart", k)) == stopping.Address);

        var call = client.GrainFactory.GetGrain<ISlowStartGrain>(key).Silo();
        await ledger.Entered(key); // activating on the stopping silo, and waiting there
        await cluster.StopSiloAsync(stopping);

        Assert.Equal(successor, await call.WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
