namespace Quotas.Core.Scheduling;

/// <summary>One page of a tenant's jobs in submission order; pass <paramref name="NextCursor"/> to get the next.</summary>
public sealed record JobPage(IReadOnlyList<JobInfo> Jobs, string? NextCursor);
