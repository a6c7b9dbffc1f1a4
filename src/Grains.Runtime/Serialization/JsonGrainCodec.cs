using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Grains.CodeGeneration;

namespace Grains.Serialization;

/// <summary>
/// The codec for call arguments and results: System.Text.Json with type metadata resolved once per type and cached
/// (no reflection and no boxing per call). Plug a source-generated resolver in through the options for trimming.
/// </summary>
public sealed class JsonGrainCodec : IGrainCodec
{
    public JsonGrainCodec(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Options.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        Options.MakeReadOnly();
    }

    /// <summary>Web defaults (camelCase names), which is also what the gateway speaks.</summary>
    public static JsonSerializerOptions DefaultOptions() => new(JsonSerializerDefaults.Web);

    public JsonSerializerOptions Options { get; }

    public void WriteValue<T>(Utf8JsonWriter writer, T value) => JsonSerializer.Serialize(writer, value, TypeInfo<T>());

    public T ReadValue<T>(ref Utf8JsonReader reader) => JsonSerializer.Deserialize(ref reader, TypeInfo<T>())!;

    private JsonTypeInfo<T> TypeInfo<T>()
    {
        var cached = Cache<T>.Entry;
        if (cached is not null && ReferenceEquals(cached.Options, Options))
        {
            return cached;
        }

        var info = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
        Cache<T>.Entry = info;
        return info;
    }

    // One slot per type: the common case is a single codec per process.
    private static class Cache<T>
    {
        public static JsonTypeInfo<T>? Entry;
    }
}
