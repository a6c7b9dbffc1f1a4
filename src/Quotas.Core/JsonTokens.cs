using System.Text;
using System.Text.Json;

namespace Quotas.Core;

/// <summary>
/// Reads the tokens of the core types' JSON forms. A token of the wrong kind is a <see cref="JsonException"/> that says
/// what to send: left to the reader, the error would name a .NET type the caller never sees.
/// </summary>
internal static class JsonTokens
{
    /// <summary>The current token as a whole number; <paramref name="what"/> and <paramref name="example"/> name it in the error.</summary>
    public static long WholeNumber(ref Utf8JsonReader reader, string what, string example)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
        {
            return value;
        }

        throw new JsonException($"{what} must be a whole number, e.g. {example}; got {Describe(ref reader)}.");
    }

    /// <summary>The current token as a string; <paramref name="what"/> and <paramref name="example"/> name it in the error.</summary>
    public static string String(ref Utf8JsonReader reader, string what, string example)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString()!;
        }

        throw new JsonException($"{what} must be a JSON string, e.g. {example}; got {Describe(ref reader)}.");
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => "null",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "the number " + Shortened(Encoding.UTF8.GetString(reader.ValueSpan)),
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "a list",
        _ => "a " + reader.TokenType,
    };

    // A number's text is bounded only by the body's size limit; the error need not repeat all of it.
    private static string Shortened(string text) => text.Length <= 24 ? text : string.Concat(text.AsSpan(0, 24), "...");
}
