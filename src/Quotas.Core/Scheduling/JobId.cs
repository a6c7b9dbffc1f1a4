using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quotas.Core.Scheduling;

/// <summary>A job's id, unique within its pool and increasing in submission order.</summary>
[JsonConverter(typeof(JobIdJsonConverter))]
public readonly record struct JobId(long Value)
{
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Writes a <see cref="JobId"/> as a JSON number.</summary>
public sealed class JobIdJsonConverter : JsonConverter<JobId>
{
    public override JobId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(JsonTokens.WholeNumber(ref reader, "A job id", "42 (the id its submit returned)"));

    public override void Write(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.Value);
}
