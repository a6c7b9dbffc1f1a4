namespace Quotas.Core.Scheduling;

/// <summary>A tenant's standing in a pool.</summary>
/// <remarks>WeightedShare: The key the fair order uses: blended dominant share divided by weight; ReportedUsage: Sum of the actual usage of completed jobs, each counted once.</remarks>
public sealed record TenantUsage(
    TenantId Tenant,
    ResourceVector Allocated,
    int QueuedJobs,
    int LeasedJobs,
    long CompletedJobs,
    double WeightedShare,
    ResourceVector ReportedUsage);
