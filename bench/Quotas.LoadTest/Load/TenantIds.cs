namespace Quotas.LoadTest.Load;

/// <summary>The tenants of a run, the same for every target: load-0001, load-0002, ... (index 0 is the most requested).</summary>
internal static class TenantIds
{
    public static IReadOnlyList<string> Create(int count) => [.. Enumerable.Range(1, count).Select(i => $"load-{i:D4}")];
}
