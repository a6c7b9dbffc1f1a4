using BenchmarkDotNet.Attributes;
using Quotas.Core.Tenants;
using System.Threading.RateLimiting;

namespace Quotas.Benchmarks.Tenants;

/// <summary>Admission checks per second of the pure logic on one thread: 10,000 Basic tenants (100 requests/minute, sliding window
/// of 10 buckets), keys drawn from Zipf(1.0) with a fixed seed, the clock advancing 10 µs per check (100,000 checks a simulated second).</summary>
/// <remarks>The baseline, a <c>PartitionedRateLimiter</c> with a token bucket per tenant, needs System.Threading.RateLimiting, which is
/// in the ASP.NET Core shared framework rather than the base one: it compiles when the project defines QUOTAS_BENCH_RATELIMITING and
/// references <c>Microsoft.AspNetCore.App</c>.</remarks>
[MemoryDiagnoser]
public class TenantAdmissionBenchmarks
{
    public const int Tenants = 10_000;
    public const int Checks = 1 << 20;

    private static readonly DateTimeOffset s_start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private TenantQuotas[] _tenants = [];
    private int[] _keys = [];
    private long _tick;
    private PartitionedRateLimiter<int> _baseline = null!;

    [GlobalSetup]
    public void Setup()
    {
        _keys = ZipfKeys.Generate(Tenants, Checks);
        _tenants = new TenantQuotas[Tenants];
        for (var i = 0; i < Tenants; i++)
        {
            _tenants[i] = new TenantQuotas(TenantConfig.Create($"tenant-{i}", Tier.Basic));
        }

        _baseline = PartitionedRateLimiter.Create<int, int>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = 100,
            TokensPerPeriod = 100,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    [Benchmark(OperationsPerInvoke = Checks)]
    public int SlidingWindowCheck()
    {
        var allowed = 0;
        var keys = _keys;
        for (var i = 0; i < keys.Length; i++)
        {
            var now = s_start.AddTicks(_tick += 100);
            if (_tenants[keys[i]].CheckRate(QuotaNames.Requests, 1, now).Allowed)
            {
                allowed++;
            }
        }

        return allowed;
    }

    [Benchmark(OperationsPerInvoke = Checks, Baseline = true)]
    public int PartitionedTokenBucket()
    {
        var allowed = 0;
        var keys = _keys;
        for (var i = 0; i < keys.Length; i++)
        {
            using var lease = _baseline.AttemptAcquire(keys[i]);
            if (lease.IsAcquired)
            {
                allowed++;
            }
        }

        return allowed;
    }
}
