using System.Buffers;
using System.Text.Json;

namespace Grains.Transport;

/// <summary>One Utf8JsonWriter per thread, reset onto each frame, so writing a payload allocates nothing.</summary>
internal static class JsonWriterCache
{
    [ThreadStatic]
    private static Utf8JsonWriter? s_writer;

    public static Utf8JsonWriter Rent(IBufferWriter<byte> output)
    {
        var writer = s_writer;
        if (writer is null)
        {
            return new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = false });
        }

        s_writer = null;
        writer.Reset(output);
        return writer;
    }

    /// <summary>Flushes into the frame and keeps the writer for the next frame on this thread.</summary>
    public static void Return(Utf8JsonWriter writer)
    {
        writer.Flush();
        writer.Reset(NullOutput.Instance);
        s_writer = writer;
    }

    // Keeps a returned writer from holding on to a frame buffer that goes back to the pool.
    private sealed class NullOutput : IBufferWriter<byte>
    {
        public static readonly NullOutput Instance = new();

        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Array.Empty<byte>();

        public Span<byte> GetSpan(int sizeHint = 0) => [];
    }
}
