using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// What a finished job charges its tenant: one "jobs", each actual-usage amount named like one of its budgets, and CPU
/// time reported in milliseconds (<c>cpu_ms</c>, as workers measure it) to the <c>cpu_seconds</c> budget every tenant
/// has, each started second counted (as per-second billing does, so that splitting work into short jobs saves
/// nothing), unless the report names <c>cpu_seconds</c> itself.
/// </summary>
internal static class JobCharges
{
    public const string JobsBudget = "jobs";

    public const string CpuMilliseconds = "cpu_ms";

    /// <summary>
    /// When a job's charges are rolled up for billing: when it completed, while that month's statement is open; null
    /// (counted when the charge arrives) for a job charged after that month closed, whose pool or tenant was out of
    /// reach until then (a closed statement does not change), or one completed on a clock too far ahead.
    /// </summary>
    public static DateTimeOffset? DatedAt(JobInfo job, DateTimeOffset now) =>
        job.CompletedAt is { } completed && completed >= Core.Billing.Metering.DatableFrom(now) && completed <= now + Core.Billing.Metering.MaxClockAhead
            ? completed
            : null;

    /// <summary>The charges, each with the event id under which the tenant counts it once.</summary>
    public static List<(string EventId, string Quota, long Amount)> Of(string poolId, JobInfo job, IReadOnlySet<string> budgets)
    {
        var charges = new List<(string, string, long)>();
        if (budgets.Contains(JobsBudget))
        {
            charges.Add((EventId(poolId, job, JobsBudget), JobsBudget, 1));
        }

        var actual = job.ChargedUsage;
        for (var i = 0; i < actual.Count; i++)
        {
            var (name, amount) = (actual.NameAt(i), actual.AmountAt(i));
            if (amount > 0 && name != JobsBudget && budgets.Contains(name))
            {
                charges.Add((EventId(poolId, job, name), name, amount));
            }
        }

        if (CpuSeconds(actual) is { } seconds && budgets.Contains(QuotaNames.CpuSeconds))
        {
            charges.Add((EventId(poolId, job, QuotaNames.CpuSeconds), QuotaNames.CpuSeconds, seconds));
        }

        return charges;
    }

    /// <summary>The CPU seconds a report in milliseconds comes to; null when there are none to convert.</summary>
    private static long? CpuSeconds(ResourceVector actual)
    {
        if (actual.Contains(QuotaNames.CpuSeconds) || !actual.Contains(CpuMilliseconds))
        {
            return null;
        }

        var milliseconds = actual[CpuMilliseconds];
        return milliseconds > 0 ? ((milliseconds - 1) / 1000) + 1 : null;
    }

    /// <summary>
    /// Every event id under which the job may have been charged, whatever its tenant's budgets were then: "jobs" and
    /// each actual-usage name.
    /// </summary>
    public static IEnumerable<string> EventIds(string poolId, JobInfo job)
    {
        yield return EventId(poolId, job, JobsBudget);
        var actual = job.ChargedUsage;
        for (var i = 0; i < actual.Count; i++)
        {
            if (actual.AmountAt(i) > 0 && actual.NameAt(i) != JobsBudget)
            {
                yield return EventId(poolId, job, actual.NameAt(i));
            }
        }

        if (CpuSeconds(actual) is not null)
        {
            yield return EventId(poolId, job, QuotaNames.CpuSeconds);
        }
    }

    private static string EventId(string poolId, JobInfo job, string quota) => $"{TenantQuotas.PoolJobKeyPrefix}{poolId}/{job.Id}/{quota}";
}
