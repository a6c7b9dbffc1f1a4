using System.Diagnostics;
using Grains.Testing;

namespace Grains.Benchmarks;

/// <summary>
/// Failover time (`-- failover`): kill one of three silos (no goodbye) while a caller keeps calling a grain that
/// lived on it, and measure from the kill to the first successful call. Membership on PostgreSQL, test timings.
/// </summary>
internal static class FailoverMeasurement
{
    public static async Task RunAsync(TextWriter report, int kills)
    {
        var times = new List<TimeSpan>();
        for (var kill = 0; kill < kills; kill++)
        {
            times.Add(await MeasureOnceAsync());
        }

        times.Sort();
        report.WriteLine($"Failover over {kills} kills (kill to first successful call): " +
            $"min {Ms(times[0])}, median {Ms(times[times.Count / 2])}, p90 {Ms(times[(int)Math.Ceiling(0.9 * times.Count) - 1])}, max {Ms(times[^1])}");
        report.WriteLine($"All: {string.Join(", ", times.Select(Ms))}");
    }

    private static async Task<TimeSpan> MeasureOnceAsync()
    {
        var database = TestStorage.PostgreSql();
        var options = new TestClusterOptions { InitialSilos = 3, Membership = database, Storage = database };
        options.ApplicationParts.Add(typeof(EchoGrain).Assembly);
        await using var cluster = await TestCluster.StartAsync(options);
        await using var client = await cluster.CreateClientAsync();
        var victim = cluster.Silos[^1];
        var key = Enumerable.Range(0, 10_000).First(k => client.Client.Membership.Ring.GetOwner(GrainId.Create("echo", GrainKey.Format((long)k))) == victim.Address);
        var grain = client.GrainFactory.GetGrain<IEchoGrain>(key);
        await grain.Echo(0);

        var watch = Stopwatch.StartNew();
        await cluster.KillSiloAsync(victim);
        while (true)
        {
            try
            {
                await grain.Echo(1);
                return watch.Elapsed;
            }
            catch (SiloUnavailableException)
            {
                // Not yet: the runtime gave up its own retries; call again.
            }
        }
    }

    private static string Ms(TimeSpan value) => $"{value.TotalMilliseconds:N0} ms";
}
