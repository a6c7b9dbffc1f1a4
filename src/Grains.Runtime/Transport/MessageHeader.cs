using System.Buffers.Binary;
using System.Text;

namespace Grains.Transport;

/// <summary>Request modifiers.</summary>
[Flags]
internal enum MessageFlags : byte
{
    None = 0,

    /// <summary>Sent by a leaving silo that no longer hosts the grain: the Active successor may activate it.</summary>
    Handoff = 1,

    /// <summary>
    /// Sent by a silo for a call no grain made (a gateway in the silo's process, or a client's call it forwards): the
    /// callee may refuse it when the grain's queue is full, as a client's own. Silos of earlier releases never set it,
    /// and their calls are never refused, as before.
    /// </summary>
    FromClient = 2,
}

/// <summary>
/// The fixed part of every frame after its length: kind, correlation id, the sender's membership version and silo,
/// the caller's deadline and hop count, and for requests the target grain and method.
/// </summary>
internal readonly record struct MessageHeader(
    MessageKind Kind,
    long CorrelationId,
    long MembershipVersion,
    long DeadlineUtcMilliseconds,
    byte Hops,
    MessageFlags Flags,
    string Sender,
    string GrainType,
    string GrainKey,
    string Interface,
    int MethodId)
{
    public static MessageHeader Control(MessageKind kind, long correlationId, long membershipVersion, string sender) =>
        new(kind, correlationId, membershipVersion, 0, 0, MessageFlags.None, sender, "", "", "", 0);

    private const int FixedLength = 27;

    /// <summary>Where the correlation id sits in a sealed frame (after the length prefix and the kind).</summary>
    public const int CorrelationIdOffset = 4 + 1;

    public bool IsRequest => Kind is MessageKind.Request or MessageKind.OneWay;

    public void Write(FrameBuilder frame)
    {
        var span = frame.GetSpan(FixedLength);
        span[0] = (byte)Kind;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], CorrelationId);
        BinaryPrimitives.WriteInt64LittleEndian(span[9..], MembershipVersion);
        BinaryPrimitives.WriteInt64LittleEndian(span[17..], DeadlineUtcMilliseconds);
        span[25] = Hops;
        span[26] = (byte)Flags;
        frame.Advance(FixedLength);
        WriteString(frame, Sender);
        if (IsRequest)
        {
            WriteString(frame, GrainType);
            WriteString(frame, GrainKey);
            WriteString(frame, Interface);
            BinaryPrimitives.WriteInt32LittleEndian(frame.GetSpan(4), MethodId);
            frame.Advance(4);
        }
    }

    /// <summary>Parses a header and returns how many bytes it took; throws <see cref="InvalidDataException"/> on malformed input.</summary>
    public static MessageHeader Read(ReadOnlySpan<byte> frame, out int consumed)
    {
        if (frame.Length < FixedLength || frame[0] is 0 or > (byte)MessageKind.GoAway)
        {
            throw new InvalidDataException("The frame does not start with a valid Grains message header.");
        }

        var kind = (MessageKind)frame[0];
        var correlationId = BinaryPrimitives.ReadInt64LittleEndian(frame[1..]);
        var version = BinaryPrimitives.ReadInt64LittleEndian(frame[9..]);
        var deadline = BinaryPrimitives.ReadInt64LittleEndian(frame[17..]);
        var hops = frame[25];
        var flags = (MessageFlags)frame[26];
        consumed = FixedLength;
        var sender = ReadString(frame, ref consumed, intern: true);
        if (kind is not (MessageKind.Request or MessageKind.OneWay))
        {
            return new MessageHeader(kind, correlationId, version, deadline, hops, flags, sender, "", "", "", 0);
        }

        var grainType = ReadString(frame, ref consumed, intern: true);
        var grainKey = ReadString(frame, ref consumed, intern: false);
        var grainInterface = ReadString(frame, ref consumed, intern: true);
        if (frame.Length < consumed + 4)
        {
            throw new InvalidDataException("The request header is truncated.");
        }

        var methodId = BinaryPrimitives.ReadInt32LittleEndian(frame[consumed..]);
        consumed += 4;
        return new MessageHeader(kind, correlationId, version, deadline, hops, flags, sender, grainType, grainKey, grainInterface, methodId);
    }

    private static void WriteString(FrameBuilder frame, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > ushort.MaxValue)
        {
            throw new InvalidOperationException("A header string is longer than 65535 bytes.");
        }

        var span = frame.GetSpan(2 + length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)length);
        Encoding.UTF8.GetBytes(value, span[2..]);
        frame.Advance(2 + length);
    }

    private static string ReadString(ReadOnlySpan<byte> frame, ref int offset, bool intern)
    {
        if (frame.Length < offset + 2)
        {
            throw new InvalidDataException("The message header is truncated.");
        }

        var length = BinaryPrimitives.ReadUInt16LittleEndian(frame[offset..]);
        offset += 2;
        if (frame.Length < offset + length)
        {
            throw new InvalidDataException("The message header is truncated.");
        }

        var bytes = frame.Slice(offset, length);
        offset += length;
        return intern ? HeaderStrings.Intern(bytes) : Encoding.UTF8.GetString(bytes);
    }
}
