using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace Grains.Transport;

/// <summary>The read side: frames from the peer, checked against the frame size and dispatched by kind.</summary>
internal sealed partial class GrainConnection
{
    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_closing.Token);
                var buffer = result.Buffer;
                // Frames after a close are not dispatched: their answers could not be sent.
                while (!IsClosed && TryReadFrame(ref buffer, out var frame))
                {
                    Process(frame);
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (InvalidDataException exception)
        {
            LogProtocolViolation(_logger, RemoteName, exception.Message);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogReadFailed(_logger, exception, RemoteName);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Abort();
        }
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length <= 0 || length > _options.MaxFrameSize)
        {
            throw new InvalidDataException($"frame length {length} is outside 1..{_options.MaxFrameSize} bytes");
        }

        if (buffer.Length < 4 + length)
        {
            return false;
        }

        frame = buffer.Slice(4, length);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    private void Process(ReadOnlySequence<byte> frame)
    {
        byte[]? rented = null;
        var span = frame.IsSingleSegment ? frame.FirstSpan : Copy(frame, out rented);
        try
        {
            var header = MessageHeader.Read(span, out var consumed);
            Volatile.Write(ref _framesRead, _framesRead + 1); // the read loop is the only writer
            Dispatch(header, span[consumed..]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private void Dispatch(in MessageHeader header, ReadOnlySpan<byte> payload)
    {
        switch (header.Kind)
        {
            case MessageKind.Request or MessageKind.OneWay when _requests is not null:
                _requests.OnRequest(this, header, payload);
                break;
            case MessageKind.Response or MessageKind.Failure or MessageKind.StaleView or MessageKind.Unavailable:
                if (_outstanding.TryRemove(header.CorrelationId, out var request))
                {
                    request.Handler.OnReply(request, header, payload);
                    CloseIfDrained();
                }

                break;
            case MessageKind.GoAway:
                BeginDrain();
                break;
            case MessageKind.Ping:
                if (!_faults.Isolated)
                {
                    SendReply(ControlFrame(MessageKind.Pong, header.CorrelationId, 0, ""));
                }

                break;
            case MessageKind.Pong:
                if (_pings.TryGetValue(header.CorrelationId, out var ping))
                {
                    ping.TrySetResult();
                }

                break;
            default:
                throw new InvalidDataException($"unexpected {header.Kind} frame");
        }
    }

    private static ReadOnlySpan<byte> Copy(ReadOnlySequence<byte> frame, out byte[] rented)
    {
        rented = ArrayPool<byte>.Shared.Rent((int)frame.Length);
        frame.CopyTo(rented);
        return rented.AsSpan(0, (int)frame.Length);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Closing the connection with {Remote}: protocol violation ({Reason})")]
    private static partial void LogProtocolViolation(ILogger logger, string remote, string reason);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "Reading from {Remote} failed; closing the connection")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string remote);
}
