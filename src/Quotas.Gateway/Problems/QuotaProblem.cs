using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Gateway.Problems;

/// <summary>
/// The body of a refused quota: the RFC 9457 members, the draft's <c>violated-policies</c> and the quota's counts.
/// Typed rather than a <c>ProblemDetails</c> with an extensions dictionary because it is the answer a noisy tenant
/// gets for most of its requests: no dictionary and no boxed numbers to allocate, and a plain object to serialize.
/// Members and their order are those of every other problem (type, title, status, detail, instance, traceId, code),
/// tested byte for byte; counts and the wait are left out when the refusal has none.
/// </summary>
internal sealed class QuotaProblem
{
    public required string Type { get; init; }

    public required string Title { get; init; }

    public required int Status { get; init; }

    public required string Detail { get; init; }

    public required string Instance { get; init; }

    public required string TraceId { get; init; }

    public required string Code { get; init; }

    public required string Quota { get; init; }

    [JsonPropertyName("violated-policies")]
    [JsonConverter(typeof(PolicyNames))]
    public required string[] ViolatedPolicies { get; init; }

    // A problem's optional members are left out when unknown (RFC 9457 extension members), unlike a resource's nulls.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Current { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Limit { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? RetryAfterSeconds { get; init; }

    /// <summary>
    /// Writes the names as the plain JSON array they are. The serializer's own array handling would first grow its
    /// stack of nested values, an array of frames larger than the rest of the answer.
    /// </summary>
    private sealed class PolicyNames : JsonConverter<string[]>
    {
        public override string[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("A refusal is written by the gateway, never read by it.");

        public override void Write(Utf8JsonWriter writer, string[] value, JsonSerializerOptions options)
        {
            writer.WriteStartArray();
            foreach (var name in value)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }
    }
}
