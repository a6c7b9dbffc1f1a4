using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Scheduling;

/// <summary>What a finished job charges its tenant: one "jobs", and each actual-usage amount named like one of its budgets.</summary>
internal static class JobCharges
{
    public const string JobsBudget = "jobs";

    /// <summary>The charges, each with the event id under which the tenant counts it once.</summary>
    public static List<(string EventId, string Quota, long Amount)> Of(string poolId, JobInfo job, IReadOnlySet<string> budgets)
    {
        var charges = new List<(string, string, long)>();
        if (budgets.Contains(JobsBudget))
        {
            charges.Add((EventId(poolId, job, JobsBudget), JobsBudget, 1));
        }

        var actual = job.ActualUsage ?? job.Demand;
        for (var i = 0; i < actual.Count; i++)
        {
            var (name, amount) = (actual.NameAt(i), actual.AmountAt(i));
            if (amount > 0 && name != JobsBudget && budgets.Contains(name))
            {
                charges.Add((EventId(poolId, job, name), name, amount));
            }
        }

        return charges;
    }

    /// <summary>
    /// Every event id under which the job may have been charged, whatever its tenant's budgets were then: "jobs" and
    /// each actual-usage name.
    /// </summary>
    public static IEnumerable<string> EventIds(string poolId, JobInfo job)
    {
        yield return EventId(poolId, job, JobsBudget);
        var actual = job.ActualUsage ?? job.Demand;
        for (var i = 0; i < actual.Count; i++)
        {
            if (actual.AmountAt(i) > 0 && actual.NameAt(i) != JobsBudget)
            {
                yield return EventId(poolId, job, actual.NameAt(i));
            }
        }
    }

    private static string EventId(string poolId, JobInfo job, string quota) => $"{TenantQuotas.PoolJobKeyPrefix}{poolId}/{job.Id}/{quota}";
}
