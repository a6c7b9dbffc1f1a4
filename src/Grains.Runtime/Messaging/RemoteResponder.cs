using Grains.CodeGeneration;
using Grains.Transport;

namespace Grains.Messaging;

/// <summary>Sends the outcome of a call back on the connection it arrived on.</summary>
internal sealed class RemoteResponder(GrainConnection connection, long correlationId, InboundCallTracker.Cohort arrivals, IGrainCodec codec, int maxFrameSize)
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
                arrivals.Completed();
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
                arrivals.Completed();
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
                arrivals.Completed();
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
