using System.Diagnostics;
using System.Text.Json;
using Quotas.Core.Tenants;

namespace Quotas.Benchmarks.Tenants;

/// <summary>
/// What metering adds to every stored write of a busy tenant: the tenant's state as JSON (the grain storage's
/// format) with full rollups of three meters, against the same state without them, in the same run. The tenant holds
/// what a busy one does: 1,024 remembered event ids and a usage event every 15 minutes on each meter for 62 days, so
/// every kept hour, day and month has usage.
/// </summary>
internal static class MeteringSnapshotCost
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    public static void Run(TextWriter report)
    {
        string[] meters = ["cpu_seconds", "jobs", "memory_mb_seconds"];
        var tenant = new TenantQuotas(TenantConfig.Create(
            "busy", Tier.Basic, [.. meters.Select(m => QuotaDefinition.Budget(m, QuotaLimit.Unlimited, BudgetPeriod.Month))]));
        var start = new DateTimeOffset(2026, 10, 5, 0, 0, 0, TimeSpan.Zero);
        var events = 0;
        for (var at = start; at < start.AddDays(62); at = at.AddMinutes(15))
        {
            foreach (var meter in meters)
            {
                tenant.RecordUsage($"event-{events++:D12}", meter, 1_000 + (events % 997), at);
            }
        }

        var metered = tenant.ToSnapshot();
        var plain = tenant.ToSnapshot();
        plain.Usage = null;
        var plainBytes = JsonSerializer.SerializeToUtf8Bytes(plain, s_json).Length;
        var meteredBytes = JsonSerializer.SerializeToUtf8Bytes(metered, s_json).Length;

        // Rounds alternate between the two, so that neither gets the warm-up or a quiet spell of the machine alone.
        var plainRounds = new List<double>();
        var meteredRounds = new List<double>();
        for (var round = 0; round < 11; round++)
        {
            plainRounds.Add(MicrosPerWrite(plain));
            meteredRounds.Add(MicrosPerWrite(metered));
        }

        var plainMicros = Median(plainRounds);
        var meteredMicros = Median(meteredRounds);
        report.WriteLine($"busy tenant, {metered.SeenEventIds.Count:N0} event ids, 3 meters with every kept bucket used:");
        report.WriteLine($"  without rollups: {plainBytes:N0} bytes, {plainMicros:F1} µs to serialize");
        report.WriteLine($"  with rollups:    {meteredBytes:N0} bytes, {meteredMicros:F1} µs to serialize ({meteredBytes / (double)plainBytes:F2}x bytes, {meteredMicros / plainMicros:F2}x time)");
    }

    /// <summary>Microseconds per serialization over 2,000 of them.</summary>
    private static double MicrosPerWrite(TenantSnapshot snapshot)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 2_000; i++)
        {
            JsonSerializer.SerializeToUtf8Bytes(snapshot, s_json);
        }

        return clock.Elapsed.TotalMicroseconds / 2_000;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
