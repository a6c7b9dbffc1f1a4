using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Core.Tenants;

/// <summary>
/// Writes and reads a <see cref="RateDecision"/> as the serializer's own contract does (the same members, names,
/// order and values), but as one value: the default contract of a struct with a constructor, nested in a call's result,
/// made the serializer allocate a stack of frames on every rate check that crossed processes (more than a third of a
/// silo's bytes per check). Names follow the options' naming policy; reading accepts any order, ignores unknown
/// members, and matches names without regard to case when the options say so.
/// </summary>
public sealed class RateDecisionJsonConverter : JsonConverter<RateDecision>
{
    private static readonly string[] s_names = ["Allowed", "ReasonCode", "Quota", "Current", "Limit", "Remaining", "ResetAfter", "RetryAfter"];
    private static readonly JsonEncodedText[] s_camelCase = [.. s_names.Select(n => JsonEncodedText.Encode(JsonNamingPolicy.CamelCase.ConvertName(n)))];
    private static readonly JsonEncodedText[] s_asDeclared = [.. s_names.Select(n => JsonEncodedText.Encode(n))];

    public override RateDecision Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"A rate decision is a JSON object; found {reader.TokenType}.");
        }

        var names = Names(options);
        var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var time = (JsonConverter<TimeSpan>)options.GetConverter(typeof(TimeSpan));
        bool allowed = default;
        string? reasonCode = null, quota = null;
        long current = default, limit = default, remaining = default;
        TimeSpan resetAfter = default;
        TimeSpan? retryAfter = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var member = Member(ref reader, names, comparison);
            reader.Read();
            switch (member)
            {
                case 0: allowed = reader.GetBoolean(); break;
                case 1: reasonCode = reader.TokenType == JsonTokenType.Null ? null : reader.GetString(); break;
                case 2: quota = reader.GetString(); break;
                case 3: current = Number(ref reader, options); break;
                case 4: limit = Number(ref reader, options); break;
                case 5: remaining = Number(ref reader, options); break;
                case 6: resetAfter = time.Read(ref reader, typeof(TimeSpan), options); break;
                case 7: retryAfter = reader.TokenType == JsonTokenType.Null ? null : time.Read(ref reader, typeof(TimeSpan), options); break;
                default: reader.Skip(); break;
            }
        }

        return new RateDecision(allowed, reasonCode, quota ?? throw new JsonException("A rate decision names its quota."), current, limit, remaining, resetAfter, retryAfter);
    }

    public override void Write(Utf8JsonWriter writer, RateDecision value, JsonSerializerOptions options)
    {
        var names = Names(options);
        var time = (JsonConverter<TimeSpan>)options.GetConverter(typeof(TimeSpan));
        writer.WriteStartObject();
        writer.WriteBoolean(names[0], value.Allowed);
        writer.WriteString(names[1], value.ReasonCode);
        writer.WriteString(names[2], value.Quota);
        writer.WriteNumber(names[3], value.Current);
        writer.WriteNumber(names[4], value.Limit);
        writer.WriteNumber(names[5], value.Remaining);
        writer.WritePropertyName(names[6]);
        time.Write(writer, value.ResetAfter, options);
        writer.WritePropertyName(names[7]);
        if (value.RetryAfter is { } retryAfter)
        {
            time.Write(writer, retryAfter, options);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteEndObject();
    }

    private static JsonEncodedText[] Names(JsonSerializerOptions options) => options.PropertyNamingPolicy switch
    {
        null => s_asDeclared,
        var policy when ReferenceEquals(policy, JsonNamingPolicy.CamelCase) => s_camelCase,
        var policy => Converted(policy),
    };

    // Apart from the hot methods: a lambda capturing a parameter allocates its closure on every call of its method.
    private static JsonEncodedText[] Converted(JsonNamingPolicy policy) => [.. s_names.Select(n => JsonEncodedText.Encode(policy.ConvertName(n)))];

    /// <summary>The index of the property name under the reader, or -1 for a member this type does not have.</summary>
    private static int Member(ref Utf8JsonReader reader, JsonEncodedText[] names, StringComparison comparison)
    {
        // The exact name compares the bytes in place.
        for (var i = 0; i < names.Length; i++)
        {
            if (reader.ValueTextEquals(names[i].EncodedUtf8Bytes))
            {
                return i;
            }
        }

        // An ordinal match was decided by the bytes already; only another casing needs the name as a string.
        if (comparison == StringComparison.Ordinal)
        {
            return -1;
        }

        var name = reader.GetString();
        for (var i = 0; i < names.Length; i++)
        {
            if (string.Equals(names[i].Value, name, comparison))
            {
                return i;
            }
        }

        return -1;
    }

    private static long Number(ref Utf8JsonReader reader, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && (options.NumberHandling & JsonNumberHandling.AllowReadingFromString) != 0
            ? long.Parse(reader.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : reader.GetInt64();
}
