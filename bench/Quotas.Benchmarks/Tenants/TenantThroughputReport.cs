using System.Diagnostics;
using System.Threading.RateLimiting;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Benchmarks.Tenants;

/// <summary>
/// `-- tenants`: admission checks per second over 10,000 tenants with Zipf-distributed keys, in one run: the baseline
/// (PartitionedRateLimiter, a token bucket per tenant), the pure logic on one thread, and TenantGrain through a local
/// grain call with 1 and 64 concurrent callers.
/// </summary>
internal static class TenantThroughputReport
{
    private const int Tenants = 10_000;
    private const int PureChecks = 1 << 21;
    private const int GrainChecks = 200_000;

    public static async Task RunAsync(TextWriter report)
    {
        var keys = ZipfKeys.Generate(Tenants, PureChecks);
        var baseline = Measure(() => Baseline(keys), PureChecks);
        var pure = Measure(() => Pure(keys), PureChecks);

        await using var host = await GrainHost.StartAsync();
        var grains = new ITenantGrain[Tenants];
        for (var i = 0; i < Tenants; i++)
        {
            grains[i] = host.Grains.GetGrain<ITenantGrain>($"tenant-{i}");
            await grains[i].Create(TenantConfig.Create($"tenant-{i}", Tier.Basic));
        }

        var grainOne = await MeasureAsync(() => Grain(grains, keys, callers: 1), GrainChecks);
        var grainMany = await MeasureAsync(() => Grain(grains, keys, callers: 64), GrainChecks);

        report.WriteLine("| path | checks/s | ratio to baseline |");
        report.WriteLine("| --- | ---: | ---: |");
        report.WriteLine($"| PartitionedRateLimiter token bucket (baseline) | {baseline:N0} | 1.00x |");
        report.WriteLine($"| pure logic, TenantQuotas.CheckRate, 1 thread | {pure:N0} | {pure / baseline:F2}x |");
        report.WriteLine($"| TenantGrain.CheckRate, local call, 1 caller | {grainOne:N0} | {grainOne / baseline:F2}x |");
        report.WriteLine($"| TenantGrain.CheckRate, local call, 64 callers | {grainMany:N0} | {grainMany / baseline:F2}x |");
    }

    private static int Baseline(int[] keys)
    {
        using var limiter = PartitionedRateLimiter.Create<int, int>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = 100,
            TokensPerPeriod = 100,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = false,
        }));
        var allowed = 0;
        foreach (var key in keys)
        {
            using var lease = limiter.AttemptAcquire(key);
            allowed += lease.IsAcquired ? 1 : 0;
        }

        return allowed;
    }

    private static int Pure(int[] keys)
    {
        var tenants = new TenantQuotas[Tenants];
        for (var i = 0; i < Tenants; i++)
        {
            tenants[i] = new TenantQuotas(TenantConfig.Create($"tenant-{i}", Tier.Basic));
        }

        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var allowed = 0;
        foreach (var key in keys)
        {
            now = now.AddTicks(100);
            allowed += tenants[key].CheckRate(QuotaNames.Requests, 1, now).Allowed ? 1 : 0;
        }

        return allowed;
    }

    private static async Task Grain(ITenantGrain[] grains, int[] keys, int callers)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < GrainChecks)
            {
                await grains[keys[i]].CheckRate(QuotaNames.Requests, 1);
            }
        })));
    }

    private static double Measure(Func<int> run, int operations)
    {
        run(); // warm-up: JIT and tiering
        var watch = Stopwatch.StartNew();
        run();
        return operations / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> MeasureAsync(Func<Task> run, int operations)
    {
        await run();
        var watch = Stopwatch.StartNew();
        await run();
        return operations / watch.Elapsed.TotalSeconds;
    }
}
