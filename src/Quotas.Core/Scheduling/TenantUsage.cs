namespace Quotas.Core.Scheduling;

/// <summary>A tenant's standing in a pool.</summary>
/// <remarks>WeightedShare: The key the fair order uses: blended dominant share divided by weight; ReportedUsage: Sum of the actual usage of completed jobs, each counted once; Weight: the weight the pool gives the tenant now (its own, its tier's, or 1); Tier: the tenant's tier as the pool last learnt it, null when it has not.</remarks>
public sealed record TenantUsage(
    TenantId Tenant,
    ResourceVector Allocated,
    int QueuedJobs,
    int LeasedJobs,
    long CompletedJobs,
    double WeightedShare,
    ResourceVector ReportedUsage,
    double Weight = 1,
    string? Tier = null);
