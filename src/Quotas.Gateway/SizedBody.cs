using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Quotas.Gateway;

/// <summary>
/// Serializes a body into a buffer of the calling thread, then sets <c>Content-Length</c> and copies the bytes into
/// the response's pipe: a rate-limit answer allocates no array of its own. The buffer is free again before this
/// returns, so no await ever holds it.
/// </summary>
internal static class SizedBody
{
    /// <summary>Answers larger than this give their buffer back instead of keeping it for the thread's next answer.</summary>
    private const int KeptBufferBytes = 16 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? s_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? s_writer;

    [ThreadStatic]
    private static JsonSerializerOptions? s_writerOptions;

    public static void Write<T>(HttpResponse response, T value, JsonSerializerOptions options)
    {
        var buffer = s_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = s_writer;
        if (writer is null || !ReferenceEquals(s_writerOptions, options))
        {
            // The writer takes the serializer's output settings, so the bytes equal JsonSerializer.SerializeToUtf8Bytes's.
            writer = s_writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, Indented = options.WriteIndented, MaxDepth = options.MaxDepth });
            s_writerOptions = options;
        }
        else
        {
            writer.Reset(buffer);
        }

        try
        {
            JsonSerializer.Serialize(writer, value, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)));
            response.ContentLength = buffer.WrittenCount;
            response.BodyWriter.Write(buffer.WrittenSpan);
        }
        finally
        {
            if (buffer.Capacity > KeptBufferBytes)
            {
                s_buffer = null;
            }
            else
            {
                buffer.ResetWrittenCount();
            }
        }
    }
}
