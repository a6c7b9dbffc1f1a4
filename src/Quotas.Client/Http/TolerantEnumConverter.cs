using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Client.Http;

/// <summary>
/// Enums as camelCase strings, as the API writes them. A name this SDK does not know (a newer server's: a new job
/// state, a new quota kind) reads as the enum's <c>Unknown</c> member where it has one, so that one new value does
/// not make a whole answer, or a whole list, unreadable; <c>Unknown</c> itself is never sent.
/// </summary>
internal sealed class TolerantEnumConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<T> : JsonConverter<T>
        where T : struct, Enum
    {
        // The member that stands for a name this SDK does not know, if the enum has one (declared before the names,
        // which leave it out).
        private static readonly T? s_unknown = Enum.TryParse<T>("Unknown", out var unknown) ? unknown : null;

        private static readonly Dictionary<string, T> s_byName = Enum.GetValues<T>()
            .Where(value => !IsUnknown(value))
            .ToDictionary(value => JsonNamingPolicy.CamelCase.ConvertName(value.ToString()), StringComparer.OrdinalIgnoreCase);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"A {typeof(T).Name} is a string; the answer has {reader.TokenType}.");
            }

            var name = reader.GetString()!;
            return s_byName.TryGetValue(name, out var value) ? value
                : s_unknown ?? throw new JsonException($"'{name}' is not a {typeof(T).Name} this SDK knows; update the SDK.");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            if (IsUnknown(value) || !Enum.IsDefined(value))
            {
                throw new JsonException($"{typeof(T).Name}.{value} stands for a value this SDK does not know and cannot be sent; use one of its named values.");
            }

            writer.WriteStringValue(JsonNamingPolicy.CamelCase.ConvertName(value.ToString()));
        }

        private static bool IsUnknown(T value) => s_unknown is { } unknown && EqualityComparer<T>.Default.Equals(value, unknown);
    }
}
