using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Gateway.Api;

/// <summary>
/// ISO 8601 times as the API takes them: a date, or a date and time with an offset; none means UTC, never the
/// gateway's own time zone (gateways in different zones would read the same time differently).
/// </summary>
internal static class IsoTime
{
    private static readonly string[] s_formats = ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];

    public static bool TryParse(string? value, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(value, s_formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
}

/// <summary>
/// Reads a JSON time with <see cref="IsoTime"/>; writes it in UTC, in the round-trip form. One instant has one written
/// form, so a retry that gives the same time with another offset fingerprints as the same request.
/// </summary>
internal sealed class IsoTimeJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && IsoTime.TryParse(reader.GetString(), out var time)
            ? time
            : throw new JsonException("The value is not an ISO 8601 time: give e.g. 2026-12-01T09:30:00Z (a time without an offset is read as UTC).");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
}
