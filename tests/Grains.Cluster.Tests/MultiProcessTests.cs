using Grains.Cluster.TestGrains;
using Grains.Testing;

namespace Grains.Cluster.Tests;

public sealed class MultiProcessTests
{
    private static readonly string[] s_keys = Enumerable.Range(0, 60).Select(i => $"proc-{i}").ToArray();

    [Fact]
    public async Task Kill_9_of_one_of_three_silo_processes_moves_its_grains_to_the_survivors_with_their_state()
    {
        var database = TestStorage.PostgreSql();
        var clusterId = "procs-" + Guid.NewGuid().ToString("N")[..12];
        var serviceId = TestDatabases.NewServiceId();
        var processes = new List<SiloProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                processes.Add(await SiloProcess.StartAsync(clusterId, serviceId, database.ConnectionString));
            }

            await using var client = await TestClient.StartAsync(database, clusterId, serviceId, [typeof(PlacedGrain).Assembly]);
            await client.WaitForActiveSilosAsync(3, TimeSpan.FromSeconds(30));
            var hosts = new Dictionary<string, string>();
            foreach (var key in s_keys)
            {
                var grain = client.GrainFactory.GetGrain<IPlacedGrain>(key);
                Assert.Equal(1, await grain.Add(1));
                hosts[key] = await grain.Silo();
            }

            var victim = processes[0];
            var victimKeys = s_keys.Where(k => hosts[k] == victim.Address).ToHashSet();
            Assert.NotEmpty(victimKeys);

            DateTimeOffset killedAt;
            Dictionary<string, GrainTally> tallies;
            await using (var load = new LoadRunner(client.GrainFactory, s_keys, workers: 8))
            {
                await load.WaitForCallsAsync(500, TimeSpan.FromSeconds(30));
                killedAt = DateTimeOffset.UtcNow;
                victim.KillHard();
                await client.WaitForActiveSilosAsync(2, TimeSpan.FromSeconds(10));
                await load.WaitForCallsAsync(2000, TimeSpan.FromSeconds(30));
                tallies = load.Tallies.ToDictionary(p => p.Key, p => p.Value);
            }

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

                var total = await client.GrainFactory.GetGrain<IPlacedGrain>(key).Total();
                Assert.InRange(total, 1 + tally.Acknowledged, 1 + tally.Acknowledged + tally.UnknownOutcome);
            }

            Assert.DoesNotContain(victim.Address, client.Client.Membership.ActiveSilos.Select(s => s.ToString()));
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }
}
