using Grains.CodeGeneration;
using Grains.Transport;

namespace Grains.Messaging;

/// <summary>Sends the outcome of a call back on the connection it arrived on.</summary>
internal sealed class RemoteResponder(GrainConnection connection, long correlationId, InboundCallTracker tracker, IGrainCodec codec, int maxFrameSize)
    : ICallResponder
{
    private int _responded;

    public void Respond(GrainCall call)
    {
        if (Interlocked.Exchange(ref _responded, 1) == 0)
        {
            try
            {
                connection.SendReply(Frames.Reply(correlationId, call, codec, maxFrameSize));
            }
            finally
            {
                // Counted as answered whatever happened: a call left counted would hold a graceful stop to its timeout.
                tracker.Completed();
            }
        }
    }

    /// <summary>Answers with an error for a request that could not even be turned into a call.</summary>
    public void Fail(Exception exception)
    {
        if (Interlocked.Exchange(ref _responded, 1) == 0)
        {
            try
            {
                connection.SendReply(Frames.Failure(correlationId, exception, maxFrameSize));
            }
            finally
            {
                tracker.Completed();
            }
        }
    }

    /// <summary>Answers without running the call: it must be sent elsewhere.</summary>
    public void NotDelivered(MessageKind kind, long membershipVersion, string sender)
    {
        if (Interlocked.Exchange(ref _responded, 1) == 0)
        {
            try
            {
                connection.SendReply(Frames.Control(kind, correlationId, membershipVersion, sender));
            }
            finally
            {
                tracker.Completed();
            }
        }
    }
}

/// <summary>One-way calls have no one to answer.</summary>
internal sealed class NoResponder : ICallResponder
{
    public static readonly NoResponder Instance = new();

    public void Respond(GrainCall call)
    {
    }
}

/// <summary>Counts calls received from other processes that have not been answered, so a stopping silo can wait for them.</summary>
internal sealed class InboundCallTracker
{
    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Started() => Interlocked.Increment(ref _inFlight);

    public void Completed() => Interlocked.Decrement(ref _inFlight);
}
