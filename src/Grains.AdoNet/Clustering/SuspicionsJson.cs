using System.Text.Json;
using Grains.Cluster;

namespace Grains.AdoNet.Clustering;

/// <summary>Votes as stored in the suspicions column: a JSON array of {"by": silo, "at": unix-ms}.</summary>
internal static class SuspicionsJson
{
    public static string Write(IReadOnlyList<Suspicion> suspicions)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var vote in suspicions)
            {
                writer.WriteStartObject();
                writer.WriteString("by", vote.By.ToString());
                writer.WriteNumber("at", vote.At.ToUnixTimeMilliseconds());
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static IReadOnlyList<Suspicion> Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(vote => new Suspicion(
                SiloAddress.Parse(vote.GetProperty("by").GetString()!),
                DateTimeOffset.FromUnixTimeMilliseconds(vote.GetProperty("at").GetInt64())))
            .ToList();
    }
}
