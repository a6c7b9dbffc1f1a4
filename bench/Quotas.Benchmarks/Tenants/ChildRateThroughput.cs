using System.Diagnostics;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Benchmarks.Tenants;

/// <summary>
/// `-- child-rates`: what a parent's rate limit costs its children's hits. Rate hits per second through
/// <see cref="ITenantGrain.HitRate"/> (local calls, 64 callers, Zipf-distributed keys over 10,000 tenants), for tenants
/// without a parent (the baseline), for the same number of children under 100 parents that cap nothing (their tier's
/// default limits each child alone), under 100 parents that set a requests limit themselves, and under one such parent
/// (every hit of the run then waits on that parent's turn). Every limit is high enough that each hit is admitted, so
/// each hit of a capped child asks its parent.
/// </summary>
internal static class ChildRateThroughput
{
    private const int Tenants = 10_000;
    private const int Hits = 200_000;
    private const int Callers = 64;
    private const int Rounds = 3;

    public static async Task RunAsync(TextWriter report)
    {
        await using var host = await GrainHost.StartAsync();
        var keys = ZipfKeys.Generate(Tenants, Hits);
        var shapes = new (string Name, ITenantGrain[] Tenants)[]
        {
            ("no parent (baseline)", await CreateAsync(host, "solo", parents: 0, parentsCap: false)),
            ("children of 100 parents that cap nothing", await CreateAsync(host, "open", parents: 100, parentsCap: false)),
            ("children of 100 parents that cap requests", await CreateAsync(host, "hundred", parents: 100, parentsCap: true)),
            ("children of 1 parent that caps requests", await CreateAsync(host, "one", parents: 1, parentsCap: true)),
        };

        var rates = shapes.Select(_ => new double[Rounds]).ToArray();
        foreach (var (_, tenants) in shapes)
        {
            await HitAllAsync(tenants, keys); // warm-up: JIT, and every tenant and parent active
        }

        for (var round = 0; round < Rounds; round++)
        {
            for (var shape = 0; shape < shapes.Length; shape++)
            {
                var watch = Stopwatch.StartNew();
                await HitAllAsync(shapes[shape].Tenants, keys);
                rates[shape][round] = Hits / watch.Elapsed.TotalSeconds;
            }
        }

        var baseline = Median(rates[0]);
        report.WriteLine($"| tenants hit ({Callers} callers, {Hits:N0} hits a round, median of {Rounds} alternating rounds) | hits/s | ratio to no parent |");
        report.WriteLine("| --- | ---: | ---: |");
        for (var shape = 0; shape < shapes.Length; shape++)
        {
            var median = Median(rates[shape]);
            report.WriteLine($"| {shapes[shape].Name} | {median:N0} | {median / baseline:F2}x |");
        }
    }

    /// <summary>
    /// Tenants whose own requests quota admits every hit; with parents, tenant i is a child of parent i mod parents, and
    /// the parents set such a requests quota themselves (a cap on their subtree) or keep their tier's (no cap).
    /// </summary>
    private static async Task<ITenantGrain[]> CreateAsync(GrainHost host, string prefix, int parents, bool parentsCap)
    {
        var requests = QuotaDefinition.SlidingWindow(QuotaNames.Requests, QuotaLimit.Hard(1_000_000_000), TimeSpan.FromMinutes(1));
        for (var p = 0; p < parents; p++)
        {
            var id = $"{prefix}-parent-{p}";
            await host.Grains.GetGrain<ITenantGrain>(id).Create(parentsCap ? TenantConfig.Create(id, Tier.Basic, requests) : TenantConfig.Create(id, Tier.Basic));
        }

        var tenants = new ITenantGrain[Tenants];
        for (var i = 0; i < Tenants; i++)
        {
            var id = $"{prefix}-{i}";
            var config = TenantConfig.Create(id, Tier.Basic, requests);
            tenants[i] = host.Grains.GetGrain<ITenantGrain>(id);
            await tenants[i].Create(parents == 0 ? config : config with { ParentId = TenantId.Parse($"{prefix}-parent-{i % parents}") });
        }

        return tenants;
    }

    private static async Task HitAllAsync(ITenantGrain[] tenants, int[] keys)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < keys.Length)
            {
                var hit = await tenants[keys[i]].HitRate(QuotaNames.Requests, 1);
                if (!hit.Decision.Allowed)
                {
                    throw new InvalidOperationException($"A hit was refused ({hit.Decision.ReasonCode}); the benchmark measures admitted hits only.");
                }
            }
        })));
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
