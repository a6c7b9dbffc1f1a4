namespace Quotas.Client.Http;

/// <summary>Route building with every caller-given segment checked and escaped.</summary>
internal static class Paths
{
    public static string Segment(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);

        // Escaping leaves dots alone, and a segment of only "." or ".." is resolved away when the request's address is
        // built (RFC 3986, section 5.2.4): revoking key ".." of tenant t would send DELETE /v1/tenants/t/ and delete t.
        if (value is "." or "..")
        {
            throw new ArgumentException(
                $"{name} '{value}' is not an id: '.' and '..' are path steps that would send the request to another route. {IdShape(name)}",
                name);
        }

        return Uri.EscapeDataString(value);
    }

    public static string Tenant(string tenantId) => "v1/tenants/" + Segment(tenantId, nameof(tenantId));

    public static string Pool(string poolId) => "v1/pools/" + Segment(poolId, nameof(poolId));

    public static double Seconds(TimeSpan span, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero, name);
        return span.TotalSeconds;
    }

    // The server checks these rules and answers 400 with its own words; this only says what to pass instead.
    private static string IdShape(string name) => name switch
    {
        "tenantId" => "A tenant id is 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit.",
        "keyId" => "A key id is the 16 hex digits answered as 'keyId' when the key was issued.",
        "quota" => "A quota name is a-z, 0-9 and '_', starting with a letter.",
        _ => "Pass the id as the API answered it.",
    };
}
