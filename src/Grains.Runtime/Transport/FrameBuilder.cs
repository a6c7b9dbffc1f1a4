using System.Buffers;
using System.Buffers.Binary;

namespace Grains.Transport;

/// <summary>
/// Builds one length-prefixed frame in a pooled buffer: [int32 length][header][payload]. The payload is written by
/// a Utf8JsonWriter straight into it. The connection's writer returns the buffer to the pool once sent.
/// </summary>
internal sealed class FrameBuilder : IBufferWriter<byte>
{
    private byte[] _buffer;
    private int _written;

    public FrameBuilder(int initialSize = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialSize);
        _written = 4;
    }

    public int Length => _written;

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _written);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Writes the length prefix; call once the frame is complete.</summary>
    public void Seal(int maxFrameSize)
    {
        var length = _written - 4;
        if (length > maxFrameSize)
        {
            throw new InvalidOperationException(
                $"A message of {length} bytes exceeds the maximum frame size of {maxFrameSize} bytes (the smaller of this process's and its peer's Grains:Endpoint:MaxFrameSize); send less, or raise MaxFrameSize on both ends.");
        }

        BinaryPrimitives.WriteInt32LittleEndian(_buffer, length);
    }

    /// <summary>Writes the correlation id into a frame built before the id was known.</summary>
    public void SetCorrelationId(long correlationId) =>
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(MessageHeader.CorrelationIdOffset), correlationId);

    public void Return()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
