using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text.Json;

namespace Grains.Transport;

/// <summary>
/// What a connecting process says first: who it is, which cluster it belongs to, and the largest frame it reads (null
/// from a release that did not say; its peer then sends up to its own limit, as before).
/// </summary>
internal sealed record HelloMessage(int Protocol, string ClusterId, string Role, string? Silo, int? MaxFrameSize = null);

/// <summary>
/// The listener's answer: accepted (with its grain type map and the largest frame it reads) or refused with a reason.
/// </summary>
internal sealed record HelloAckMessage(bool Accepted, string? Reason, string? Silo, Dictionary<string, string>? GrainTypes, int? MaxFrameSize = null);

/// <summary>
/// The preamble of every connection: the magic bytes "GRN1", then a Hello frame answered by a HelloAck frame. A peer
/// of another cluster, or anything that is not Grains, is refused before a single call is read.
/// </summary>
internal static class Handshake
{
    public const int ProtocolVersion = 1;

    /// <summary>
    /// The smallest frame size a peer may say it reads, as for this process's own setting: below it not even a failure
    /// answer fits, and sealing one threw on the read loop of the connection the answer came from.
    /// </summary>
    public const int MinFrameSize = 1024;

    private static readonly byte[] s_magic = "GRN1"u8.ToArray();

    public static async Task<HelloAckMessage> ConnectAsync(IDuplexPipe transport, HelloMessage hello, int maxFrameSize, CancellationToken cancellationToken)
    {
        await transport.Output.WriteAsync(s_magic, cancellationToken);
        await WriteFrameAsync(transport.Output, MessageKind.Hello, hello, maxFrameSize, cancellationToken);
        // The answer of the silo this process chose to connect to carries its grain type map, which grows with the
        // grain interfaces it hosts: it may be as large as any frame.
        return await ReadFrameAsync<HelloAckMessage>(transport.Input, MessageKind.HelloAck, maxFrameSize, cancellationToken);
    }

    /// <summary>Reads the magic and the Hello; throws <see cref="InvalidDataException"/> for anything else.</summary>
    public static async Task<HelloMessage> AcceptAsync(IDuplexPipe transport, int maxFrameSize, CancellationToken cancellationToken)
    {
        var magic = await ReadExactlyAsync(transport.Input, s_magic.Length, cancellationToken, firstRead: true);
        if (!magic.AsSpan().SequenceEqual(s_magic))
        {
            throw new InvalidDataException("the connection did not start with the Grains preamble");
        }

        // A Hello comes from anyone who can connect, before anything is known of them: it is small, and kept so.
        return await ReadFrameAsync<HelloMessage>(transport.Input, MessageKind.Hello, Math.Min(maxFrameSize, MaxHelloLength), cancellationToken);
    }

    public static Task ReplyAsync(IDuplexPipe transport, HelloAckMessage ack, int maxFrameSize, CancellationToken cancellationToken) =>
        WriteFrameAsync(transport.Output, MessageKind.HelloAck, ack, maxFrameSize, cancellationToken);

    private static async Task WriteFrameAsync<T>(PipeWriter output, MessageKind kind, T message, int maxFrameSize, CancellationToken cancellationToken)
    {
        var frame = new FrameBuilder();
        try
        {
            MessageHeader.Control(kind, 0, 0, "").Write(frame);
            using (var writer = new Utf8JsonWriter(frame))
            {
                JsonSerializer.Serialize(writer, message, HandshakeJson.Options);
            }

            frame.Seal(maxFrameSize);
            await output.WriteAsync(frame.Memory, cancellationToken);
        }
        finally
        {
            frame.Return();
        }
    }

    private const int MaxHelloLength = 64 * 1024;

    private static async Task<T> ReadFrameAsync<T>(PipeReader input, MessageKind expected, int maxFrameSize, CancellationToken cancellationToken)
    {
        var prefix = await ReadExactlyAsync(input, 4, cancellationToken);
        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length <= 0 || length > maxFrameSize)
        {
            throw new InvalidDataException($"handshake frame length {length} is out of range");
        }

        var body = await ReadExactlyAsync(input, length, cancellationToken);
        var header = MessageHeader.Read(body, out var consumed);
        if (header.Kind != expected)
        {
            throw new InvalidDataException($"expected a {expected} frame, got {header.Kind}");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(body.AsSpan(consumed), HandshakeJson.Options)
                ?? throw new InvalidDataException($"the {expected} frame is empty");
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"the {expected} frame is not valid: {exception.Message}");
        }
    }

    /// <summary>
    /// <paramref name="firstRead"/>: a peer that closes before sending a byte throws <see cref="EndOfStreamException"/>,
    /// told apart from one that stopped partway: a TCP health check or a port scan connects and closes so.
    /// </summary>
    private static async Task<byte[]> ReadExactlyAsync(PipeReader input, int count, CancellationToken cancellationToken, bool firstRead = false)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            if (result.Buffer.Length >= count)
            {
                var bytes = result.Buffer.Slice(0, count).ToArray();
                input.AdvanceTo(result.Buffer.GetPosition(count));
                return bytes;
            }

            if (result.IsCompleted && firstRead && result.Buffer.IsEmpty)
            {
                throw new EndOfStreamException("the peer closed the connection without sending anything");
            }

            if (result.IsCompleted)
            {
                throw new InvalidDataException("the peer closed the connection during the handshake");
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static class HandshakeJson
    {
        public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    }
}
