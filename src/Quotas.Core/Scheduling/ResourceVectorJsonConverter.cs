using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Core.Scheduling;

/// <summary>Writes a <see cref="ResourceVector"/> as a JSON object of name to amount.</summary>
public sealed class ResourceVectorJsonConverter : JsonConverter<ResourceVector>
{
    public override ResourceVector Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A resource map is a JSON object of resource name to whole-number amount, e.g. {\"cpu_millicores\": 500, \"memory_mb\": 256}.");
        }

        var entries = new List<KeyValuePair<string, long>>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            entries.Add(new(name, JsonTokens.WholeNumber(ref reader, $"The amount of resource '{name}'", $"\"{name}\": 500")));
        }

        return ResourceVector.From(entries);
    }

    public override void Write(Utf8JsonWriter writer, ResourceVector value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        for (var i = 0; i < value.Count; i++)
        {
            writer.WriteNumber(value.NameAt(i), value.AmountAt(i));
        }

        writer.WriteEndObject();
    }
}
