namespace Quotas.Client.Http;

/// <summary>Route building with every caller-given segment checked and escaped.</summary>
internal static class Paths
{
    public static string Segment(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return Uri.EscapeDataString(value);
    }

    public static string Tenant(string tenantId) => "v1/tenants/" + Segment(tenantId, nameof(tenantId));

    public static string Pool(string poolId) => "v1/pools/" + Segment(poolId, nameof(poolId));

    public static double Seconds(TimeSpan span, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero, name);
        return span.TotalSeconds;
    }
}
