using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Scheduling;

/// <summary>What a job asks of its tenant: the gauges leased while it runs, the budgets that must have room, read from the tenant's quota names.</summary>
internal sealed partial class TenantAdmission
{
    private static IEnumerable<(string Quota, long Amount)> Needs(ResourceVector demand, TenantQuotaNames names)
    {
        for (var i = 0; i < demand.Count; i++)
        {
            if (demand.AmountAt(i) > 0 && names.Gauges.Contains(demand.NameAt(i)))
            {
                yield return (demand.NameAt(i), demand.AmountAt(i));
            }
        }

        if (names.Gauges.Contains(ConcurrentJobsQuota))
        {
            yield return (ConcurrentJobsQuota, 1);
        }
    }

    /// <summary>
    /// The limited budgets a job is sure to charge, and how much of each must still fit: one <c>jobs</c>, its demand
    /// of every resource a budget is named after (what a job finished without a usage report is charged), and some
    /// <c>cpu_seconds</c> (what a worker's reported CPU time is charged to).
    /// </summary>
    private static IEnumerable<(string Quota, long Amount)> BudgetNeeds(ResourceVector demand, TenantQuotaNames names)
    {
        if (names.LimitedBudgets.Count == 0)
        {
            yield break;
        }

        if (names.LimitedBudgets.Contains(QuotaNames.Jobs))
        {
            yield return (QuotaNames.Jobs, 1);
        }

        for (var i = 0; i < demand.Count; i++)
        {
            if (demand.AmountAt(i) > 0 && names.LimitedBudgets.Contains(demand.NameAt(i)))
            {
                yield return (demand.NameAt(i), demand.AmountAt(i));
            }
        }

        if (names.LimitedBudgets.Contains(QuotaNames.CpuSeconds) && !demand.Contains(QuotaNames.CpuSeconds))
        {
            yield return (QuotaNames.CpuSeconds, 1);
        }
    }

    private async Task<TenantQuotaNames?> NamesAsync(string id, ITenantGrain tenant) =>
        (await _names.ReadAsync(id, () => ReadNamesAsync(tenant))).Value;

    private async Task<TenantQuotaNames?> ReadNamesAsync(ITenantGrain tenant)
    {
        try
        {
            var quotas = await Bounded(tenant.GetEffectiveQuotas());

            // A child's gauge it leaves unlimited may be capped above it (teams sharing their organisation's cap): its
            // jobs lease it all the same, so that the lease holds in the ancestors, as one taken through the API does.
            // They ran past the ancestor's cap, counted nowhere.
            var child = (await Bounded(tenant.GetConfig())).ParentId is not null;
            return new TenantQuotaNames(
                [.. quotas.Where(q => q.Kind == QuotaKind.Gauge && (child || !q.Limit.IsUnlimited)).Select(q => q.Name)],
                [.. quotas.Where(q => q.Kind == QuotaKind.Budget).Select(q => q.Name)],
                [.. quotas.Where(q => q.Kind == QuotaKind.Budget && !q.Limit.IsUnlimited).Select(q => q.Name)]);
        }
        catch (QuotaValidationException e) when (e.Code == Tenants.TenantErrors.UnknownTenant)
        {
            return null;
        }
    }

    /// <summary>
    /// The tenant's gauge quotas leased for a running job (those it limits; every one, for a child tenant), its budgets (charged at completion) and those of
    /// them that are limited (checked before a job starts).
    /// </summary>
    private sealed record TenantQuotaNames(HashSet<string> Gauges, HashSet<string> Budgets, HashSet<string> LimitedBudgets);
}
