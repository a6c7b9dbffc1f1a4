namespace Quotas.Client;

/// <summary>One page of a list as the API answers it; the SDK's list methods walk the pages for you.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
