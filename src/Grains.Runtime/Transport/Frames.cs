using System.Text.Json;
using Grains.CodeGeneration;
using Grains.Serialization;

namespace Grains.Transport;

/// <summary>Builds the frames of calls: requests with their arguments, and the replies to them.</summary>
internal static class Frames
{
    public static FrameBuilder Request(long correlationId, GrainId target, GrainCall call, long membershipVersion, string sender, MessageFlags flags, IGrainCodec codec, int maxFrameSize)
    {
        var frame = new FrameBuilder(512);
        try
        {
            var kind = call.Method.IsOneWay ? MessageKind.OneWay : MessageKind.Request;
            new MessageHeader(
                kind,
                correlationId,
                membershipVersion,
                call.Routing.DeadlineUtcMilliseconds,
                (byte)Math.Min(call.Routing.Hops, byte.MaxValue),
                flags,
                sender,
                target.Type,
                target.Key,
                call.Method.InterfaceType.FullName!,
                call.Method.MethodId).Write(frame);
            var writer = JsonWriterCache.Rent(frame);
            call.WriteArguments(codec, writer);
            JsonWriterCache.Return(writer);

            frame.Seal(maxFrameSize);
            return frame;
        }
        catch
        {
            frame.Return();
            throw;
        }
    }

    /// <summary>The reply to a call that has ended: its result, or the exception it ended with.</summary>
    public static FrameBuilder Reply(long correlationId, GrainCall call, IGrainCodec codec, int maxFrameSize)
    {
        if (call.Exception is { } failure)
        {
            return Failure(correlationId, failure, maxFrameSize);
        }

        var frame = new FrameBuilder(256);
        try
        {
            MessageHeader.Control(MessageKind.Response, correlationId, 0, "").Write(frame);
            var writer = JsonWriterCache.Rent(frame);
            call.WriteResult(codec, writer);
            JsonWriterCache.Return(writer);

            frame.Seal(maxFrameSize);
            return frame;
        }
        catch (Exception exception)
        {
            // Whatever the codec or the result's own code throws (a getter may throw anything), the caller is answered
            // with the reason instead of waiting for its timeout.
            frame.Return();
            return Failure(correlationId, new InvalidOperationException($"The result of {call.Method.DisplayName} could not be sent: {exception.Message}", exception), maxFrameSize);
        }
    }

    /// <summary>
    /// The reply to a call that failed. An error that cannot be sent whole (a message larger than a frame, a property of
    /// its own that throws) is replaced by a plain one that names it, so that the caller is answered now, not at its timeout.
    /// </summary>
    public static FrameBuilder Failure(long correlationId, Exception exception, int maxFrameSize)
    {
        try
        {
            return FailureFrame(correlationId, exception, maxFrameSize);
        }
        catch (Exception unsendable)
        {
            var message = unsendable.GetBaseException().Message; // a getter that throws arrives wrapped in a TargetInvocationException
            var reason = message.Length > 1_000 ? message[..1_000] + "..." : message;
            return FailureFrame(
                correlationId, new InvalidOperationException($"The call failed with {exception.GetType().FullName}, which could not be sent: {reason}"), maxFrameSize);
        }
    }

    private static FrameBuilder FailureFrame(long correlationId, Exception exception, int maxFrameSize)
    {
        var frame = new FrameBuilder(512);
        try
        {
            MessageHeader.Control(MessageKind.Failure, correlationId, 0, "").Write(frame);
            using (var writer = new Utf8JsonWriter(frame))
            {
                RemoteExceptions.Write(writer, exception);
            }

            frame.Seal(maxFrameSize);
            return frame;
        }
        catch
        {
            frame.Return();
            throw;
        }
    }

    public static FrameBuilder Control(MessageKind kind, long correlationId, long membershipVersion, string sender) =>
        GrainConnection.ControlFrame(kind, correlationId, membershipVersion, sender);
}
