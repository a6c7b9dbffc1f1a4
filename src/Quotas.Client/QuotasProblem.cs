using System.Text.Json;

namespace Quotas.Client;

/// <summary>
/// The RFC 9457 problem details of a failed call: <see cref="Type"/> and <see cref="Code"/> are stable and meant for
/// code; <see cref="TraceId"/> is what the server's logs carry; quota refusals add the quota, its current value and limit.
/// </summary>
public sealed record QuotasProblem(
    string? Type,
    string? Title,
    int? Status,
    string? Detail,
    string? Code,
    string? TraceId,
    string? Quota,
    long? Current,
    long? Limit,
    IReadOnlyList<string> ViolatedPolicies)
{
    /// <summary>The request's path as the server saw it (RFC 9457 <c>instance</c>); null when the answer had none.</summary>
    public string? Instance { get; init; }

    /// <summary>
    /// Reads a problem body; a body that is not problem JSON (not JSON, or JSON of a proxy's own making such as
    /// <c>{"message":"no healthy upstream"}</c>) gives a problem with only the status and the text.
    /// </summary>
    internal static QuotasProblem Parse(int status, string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && (Has(root, "type") || Has(root, "title") || Has(root, "detail") || Has(root, "code")))
            {
                return new QuotasProblem(
                    Text(root, "type"),
                    Text(root, "title"),
                    root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out var parsed) ? parsed : status,
                    Text(root, "detail"),
                    Text(root, "code"),
                    Text(root, "traceId"),
                    Text(root, "quota"),
                    Number(root, "current"),
                    Number(root, "limit"),
                    root.TryGetProperty("violated-policies", out var policies) && policies.ValueKind == JsonValueKind.Array
                        ? [.. policies.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()!)]
                        : [])
                {
                    Instance = Text(root, "instance"),
                };
            }
        }
        catch (JsonException)
        {
        }

        return new QuotasProblem(null, null, status, body.Length > 500 ? body[..500] : body, null, null, null, null, null, []);
    }

    private static bool Has(JsonElement root, string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String;

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;
}
