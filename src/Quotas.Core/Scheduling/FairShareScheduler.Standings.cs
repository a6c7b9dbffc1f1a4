namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    /// <summary>
    /// The standing of every tenant the pool knows (listed, or that has used it), in tenant id order,
    /// <paramref name="pageSize"/> at a time: what an operator reads to see who holds the pool and who waits.
    /// </summary>
    public TenantUsagePage ListTenantUsage(int pageSize, string? cursor = null)
    {
        CheckPageSize(pageSize);
        if (cursor is not null && !TenantId.IsValid(cursor))
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidCursor, "The cursor is not one this pool returned; pass NextCursor from the previous page, or null to start.");
        }

        // Sorted per call: an operator's read, rare next to the scheduling that the tenants' dictionary serves.
        var ids = _tenants.Keys
            .Where(id => cursor is null || string.CompareOrdinal(id.Value, cursor) > 0)
            .OrderBy(id => id.Value, StringComparer.Ordinal)
            .Take(pageSize + 1)
            .ToList();
        var more = ids.Count > pageSize;
        var page = ids.Take(pageSize).Select(GetTenantUsage).ToList();
        return new TenantUsagePage(page, more ? page[^1].Tenant.Value : null);
    }
}
