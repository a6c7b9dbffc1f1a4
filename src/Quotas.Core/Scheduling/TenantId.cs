using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Core.Scheduling;

/// <summary>A tenant's id within scheduling: <c>[a-z0-9][a-z0-9-]{0,62}</c>.</summary>
[JsonConverter(typeof(TenantIdJsonConverter))]
public readonly record struct TenantId
{
    public TenantId(string value)
    {
        if (!IsValid(value))
        {
            throw new SchedulingException(
                SchedulingErrorCodes.InvalidTenantId,
                $"Tenant id '{value}' is invalid; use 1 to 63 characters matching [a-z0-9][a-z0-9-]*.");
        }

        Value = value;
    }

    public string Value { get; }

    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 63 || value[0] == '-')
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Value ?? "";
}

/// <summary>Writes a <see cref="TenantId"/> as a JSON string.</summary>
public sealed class TenantIdJsonConverter : JsonConverter<TenantId>
{
    public override TenantId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(JsonTokens.String(ref reader, "A tenant id", "\"acme\""));

    public override void Write(Utf8JsonWriter writer, TenantId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);
}
