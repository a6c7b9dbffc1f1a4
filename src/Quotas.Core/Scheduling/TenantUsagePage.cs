namespace Quotas.Core.Scheduling;

/// <summary>One page of the tenants a pool knows, by tenant id; pass <paramref name="NextCursor"/> to get the next.</summary>
public sealed record TenantUsagePage(IReadOnlyList<TenantUsage> Tenants, string? NextCursor);
