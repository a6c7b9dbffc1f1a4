using Quotas.Core.Tenants;

namespace Quotas.Core.Scheduling;

/// <summary>
/// The usage of a job's runs added up: a run that was preempted reports what it held and consumed, and the job is
/// charged that with the usage of the run that ends it, once. Each sum stops at <see cref="QuotaLimit.MaxValue"/>, the
/// most a budget counts, so that the job stays chargeable.
/// </summary>
internal static class RunUsage
{
    public static ResourceVector Plus(ResourceVector usage, ResourceVector? earlierRuns)
    {
        if (earlierRuns is null || earlierRuns.Count == 0)
        {
            return usage;
        }

        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, amount) in usage.Entries.Concat(earlierRuns.Entries))
        {
            var sum = sums.GetValueOrDefault(name) + amount;
            sums[name] = sum is < 0 or > QuotaLimit.MaxValue ? QuotaLimit.MaxValue : sum;
        }

        return ResourceVector.From(sums);
    }
}
