using System.Diagnostics;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Benchmarks.Tenants;

/// <summary>
/// `-- child-deliveries [senders] [--postgres cs]`: how many deliveries of budget usage from its children one parent
/// tenant takes a second, each counted and stored before it is acknowledged. An active child that records usage sends
/// one a second, so the figure is about how many such children a parent serves. Baseline in the same run: the
/// parent's own RecordUsage, one stored write per call too, from as many concurrent callers.
/// </summary>
internal static class ChildDeliveryThroughput
{
    private static readonly TimeSpan s_duration = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(TextWriter report, int senders, string? postgres)
    {
        await using var host = await GrainHost.StartAsync(postgres);
        var parent = host.Grains.GetGrain<ITenantGrain>("org");
        await parent.Create(TenantConfig.Create("org", Tier.Basic, QuotaDefinition.Budget("cpu_seconds", QuotaLimit.Unlimited, BudgetPeriod.Month)));

        var own = await RateAsync(senders, async (sender, i) =>
            await parent.RecordUsage($"e-{sender}-{i}", "cpu_seconds", 1));
        var slot = QuotaAmount.SlotOf(DateTimeOffset.UtcNow);
        var deliveries = await RateAsync(senders, async (sender, i) =>
            await parent.RecordChildUsage($"child-{sender}/life", new UsageBatch(i + 1, [new QuotaAmount("cpu_seconds", 1, slot)])));

        report.WriteLine(
            $"one parent, {senders} concurrent senders, {(postgres is null ? "SQLite" : "PostgreSQL")}: " +
            $"its own RecordUsage {own:N0}/s; deliveries from children {deliveries:N0}/s ({deliveries / own:F2}x), " +
            $"so about {deliveries:N0} children recording usage at once, at one delivery a second each");
    }

    /// <summary>Calls per second over <see cref="s_duration"/>, each sender making its calls one after another.</summary>
    private static async Task<double> RateAsync(int senders, Func<int, int, Task> call)
    {
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, senders).Select(sender => Task.Run(async () =>
        {
            for (var i = 0; watch.Elapsed < s_duration; i++)
            {
                await call(sender, i);
                Interlocked.Increment(ref done);
            }
        })));
        return done / watch.Elapsed.TotalSeconds;
    }
}
