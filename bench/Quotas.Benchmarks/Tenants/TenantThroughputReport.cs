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
    private const int Rounds = 9;

    /// <param name="pureOnly">Skip the grain paths: the target (pure logic against the baseline) alone, in seconds.</param>
    public static async Task RunAsync(TextWriter report, bool pureOnly = false)
    {
        var keys = ZipfKeys.Generate(Tenants, PureChecks);
        var (baseline, pure) = MeasureInterleaved(() => PrepareBaseline(keys), () => PreparePure(keys), PureChecks);
        if (pureOnly)
        {
            report.WriteLine($"baseline {baseline:N0}/s, pure logic {pure:N0}/s, ratio {pure / baseline:F2}x");
            return;
        }

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

    /// <summary>A fresh limiter (partitions are created on first use, as the pure logic's windows are); the returned run is timed.</summary>
    private static PreparedRun PrepareBaseline(int[] keys)
    {
        var limiter = PartitionedRateLimiter.Create<int, int>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = 100,
            TokensPerPeriod = 100,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = false,
        }));
        return new PreparedRun(
            () =>
            {
                var allowed = 0;
                foreach (var key in keys)
                {
                    using var lease = limiter.AttemptAcquire(key);
                    allowed += lease.IsAcquired ? 1 : 0;
                }

                return allowed;
            },
            limiter);
    }

    /// <summary>Fresh tenants, built before the clock starts (creating a tenant is not a check); the returned run is timed.</summary>
    private static PreparedRun PreparePure(int[] keys)
    {
        var tenants = new TenantQuotas[Tenants];
        for (var i = 0; i < Tenants; i++)
        {
            tenants[i] = new TenantQuotas(TenantConfig.Create($"tenant-{i}", Tier.Basic));
        }

        return new PreparedRun(
            () =>
            {
                var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
                var allowed = 0;
                foreach (var key in keys)
                {
                    now = now.AddTicks(100);
                    allowed += tenants[key].CheckRate(QuotaNames.Requests, 1, now).Allowed ? 1 : 0;
                }

                return allowed;
            },
            Owned: null);
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

    /// <summary>
    /// Runs baseline and candidate alternately, <see cref="Rounds"/> times each after a warm-up, and reports the median
    /// rate of each: on a shared machine a burst of other work then slows both sides alike instead of one.
    /// </summary>
    private static (double Baseline, double Candidate) MeasureInterleaved(Func<PreparedRun> baseline, Func<PreparedRun> candidate, int operations)
    {
        Rate(baseline(), operations); // warm-up: JIT and tiering
        Rate(candidate(), operations);
        var baselineRates = new double[Rounds];
        var candidateRates = new double[Rounds];
        for (var round = 0; round < Rounds; round++)
        {
            baselineRates[round] = Rate(baseline(), operations);
            candidateRates[round] = Rate(candidate(), operations);
        }

        return (Median(baselineRates), Median(candidateRates));
    }

    private static double Rate(PreparedRun prepared, int operations)
    {
        var watch = Stopwatch.StartNew();
        prepared.Run();
        var rate = operations / watch.Elapsed.TotalSeconds;
        prepared.Owned?.Dispose();
        return rate;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        return values[values.Length / 2];
    }

    private static async Task<double> MeasureAsync(Func<Task> run, int operations)
    {
        await run();
        var watch = Stopwatch.StartNew();
        await run();
        return operations / watch.Elapsed.TotalSeconds;
    }

    /// <summary>A timed run and what it holds that must not outlive it (the baseline's limiter runs an idle-partition timer).</summary>
    private sealed record PreparedRun(Func<int> Run, IDisposable? Owned);
}
