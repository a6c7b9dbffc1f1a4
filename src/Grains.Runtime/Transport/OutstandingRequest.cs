using Grains.CodeGeneration;

namespace Grains.Transport;

/// <summary>Learns how a request sent on a connection ended.</summary>
internal interface IReplyHandler
{
    /// <summary>A reply frame arrived (response, failure, stale view or unavailable).</summary>
    void OnReply(OutstandingRequest request, in MessageHeader header, ReadOnlySpan<byte> payload);

    /// <summary>The connection closed before a reply; <paramref name="written"/> says whether the request may have run.</summary>
    void OnConnectionLost(OutstandingRequest request, bool written, Exception reason);

    /// <summary>No reply came by the request's deadline: the connection stopped waiting, and a late reply is dropped.</summary>
    void OnExpired(OutstandingRequest request);
}

/// <summary>
/// A request on a connection, waiting for its reply until <paramref name="deadlineUtcMilliseconds"/> (Unix
/// milliseconds on this process's clock; 0 waits as long as the connection lives).
/// </summary>
internal sealed class OutstandingRequest(GrainCall call, GrainId target, IReplyHandler handler, long deadlineUtcMilliseconds)
{
    private int _written;
    private int _expired;

    public GrainCall Call { get; } = call;

    public GrainId Target { get; } = target;

    public IReplyHandler Handler { get; } = handler;

    public long DeadlineUtcMilliseconds { get; } = deadlineUtcMilliseconds;

    public long CorrelationId { get; set; }

    /// <summary>Set before the first byte reaches the socket: from then on the outcome of a lost connection is unknown.</summary>
    public bool Written => Volatile.Read(ref _written) == 1;

    public void MarkWritten() => Volatile.Write(ref _written, 1);

    /// <summary>
    /// When the connection gives up on the request, by its clock's timestamp (monotonic, so that a step of the wall
    /// clock neither cuts a call short nor lengthens it); 0 for never. Set when the request is sent.
    /// </summary>
    public long ExpiresAtTimestamp { get; set; }

    /// <summary>Set when the connection gave up on the request: if it still waits to be written, it is not.</summary>
    public bool IsExpired => Volatile.Read(ref _expired) == 1;

    public void MarkExpired() => Volatile.Write(ref _expired, 1);
}
