using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Core.Tenants;

/// <summary>A tenant id: <c>[a-z0-9][a-z0-9-]{0,62}</c>. Serialized as a plain JSON string.</summary>
[JsonConverter(typeof(TenantIdJsonConverter))]
public readonly record struct TenantId
{
    public const int MaxLength = 63;

    private readonly string? _value;

    public TenantId(string value)
    {
        if (!IsValid(value))
        {
            throw new QuotaValidationException(
                ValidationCodes.InvalidTenantId,
                $"Tenant id '{Truncate(value)}' is invalid: use 1 to {MaxLength} characters of a-z, 0-9 and '-', starting with a letter or digit.");
        }

        _value = value;
    }

    public string Value => _value ?? throw new InvalidOperationException("default(TenantId) has no value.");

    public static TenantId Parse(string value) => new(value);

    public static bool TryParse(string? value, out TenantId id)
    {
        id = IsValid(value) ? new TenantId(value!) : default;
        return IsValid(value);
    }

    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength || value[0] == '-')
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => _value ?? string.Empty;

    internal static string Truncate(string? value) =>
        value is null ? "(null)" : value.Length <= 80 ? value : string.Concat(value.AsSpan(0, 80), "...");
}

internal sealed class TenantIdJsonConverter : JsonConverter<TenantId>
{
    public override TenantId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(JsonTokens.String(ref reader, "A tenant id", "\"acme\""));

    public override void Write(Utf8JsonWriter writer, TenantId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);
}
