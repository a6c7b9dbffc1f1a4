namespace Grains.Transport;

/// <summary>What a frame carries.</summary>
internal enum MessageKind : byte
{
    Hello = 1,
    HelloAck = 2,
    Request = 3,
    OneWay = 4,
    Response = 5,
    Failure = 6,

    /// <summary>Not delivered: the receiver's view places the grain elsewhere and the call has used its hops. Refresh and retry.</summary>
    StaleView = 7,

    /// <summary>Not delivered: the receiver is not taking calls (stopping or stopped). Retry elsewhere.</summary>
    Unavailable = 8,
    Ping = 9,
    Pong = 10,

    /// <summary>
    /// Sent by a silo that is leaving on each connection it accepted: send no new request here; close the connection
    /// once every request already sent has its answer. Nothing sent on it then has an unknown outcome.
    /// </summary>
    GoAway = 11,
}
