using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Gateway.Api;

/// <summary>
/// Enums as their camelCase names, one name per value. The framework's string converter also reads names joined by
/// commas and combines them as flags, for any enum (dotnet/runtime#122550): <c>"tier": "premium, enterprise"</c> would
/// read as a third tier. None of the API's enums is a set of flags, so such a value is refused, and so is any name
/// not of the enum, with the names it takes.
/// </summary>
public sealed class StrictEnumConverter : JsonConverterFactory
{
    private static readonly JsonNamingPolicy s_naming = JsonNamingPolicy.CamelCase;
    private readonly JsonStringEnumConverter _names = new(s_naming, allowIntegerValues: false);

    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(OneName<>).MakeGenericType(typeToConvert), _names.CreateConverter(typeToConvert, options))!;

    /// <summary>The names a value of <paramref name="enumType"/> is written and read as, in declaration order.</summary>
    public static IReadOnlyList<string> NamesOf(Type enumType) => Enum.GetNames(enumType).Select(s_naming.ConvertName).ToArray();

    private sealed class OneName<T>(JsonConverter names) : JsonConverter<T>
        where T : struct, Enum
    {
        private static readonly IReadOnlyList<string> s_allowed = NamesOf(typeof(T));
        private readonly JsonConverter<T> _names = (JsonConverter<T>)names;

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            Check(ref reader);
            return _names.Read(ref reader, typeToConvert, options);
        }

        public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            Check(ref reader);
            return _names.ReadAsPropertyName(ref reader, typeToConvert, options);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => _names.Write(writer, value, options);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            _names.WriteAsPropertyName(writer, value, options);

        // Reading the token's text does not move the reader: the framework's converter then reads the same token.
        private static void Check(ref Utf8JsonReader reader)
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
            {
                throw Refused($"a {reader.TokenType.ToString().ToLowerInvariant()}");
            }

            var text = reader.GetString()!;
            if (!s_allowed.Contains(text, StringComparer.OrdinalIgnoreCase))
            {
                throw Refused($"'{(text.Length > 64 ? text[..64] + "…" : text)}'");
            }
        }

        private static JsonException Refused(string what) =>
            new($"The value is {what}, not one of the names this field takes: {string.Join(", ", s_allowed)}.");
    }
}
