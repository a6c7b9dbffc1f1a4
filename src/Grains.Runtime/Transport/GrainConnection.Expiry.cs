using Microsoft.Extensions.Logging;

namespace Grains.Transport;

/// <summary>
/// Requests past their deadline leave the table. The caller's own timer has already given up on them (see
/// PendingCallTable), but a callee that never answers (a hung grain) would otherwise keep one entry per call for as
/// long as the connection lives, and keep a draining connection from ever closing.
/// </summary>
internal sealed partial class GrainConnection
{
    /// <summary>How often overdue requests are looked for: a request leaves the table at most this long after its deadline.</summary>
    public static readonly TimeSpan ExpiryInterval = TimeSpan.FromSeconds(1);

    private readonly TimeProvider? _requestClock;
    private ITimer? _expiryTimer;

    // Only a connection that sends requests has a clock; one that only answers has nothing to expire.
    private void StartExpiry()
    {
        if (_requestClock is { } clock)
        {
            _expiryTimer = clock.CreateTimer(static state => ((GrainConnection)state!).ExpireOverdue(), this, ExpiryInterval, ExpiryInterval);
        }
    }

    private void ExpireOverdue()
    {
        var now = _requestClock!.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var (correlationId, request) in _outstanding)
        {
            // A reply that removed the entry first wins; the handler hears of each request once.
            if (request.DeadlineUtcMilliseconds > 0 && now >= request.DeadlineUtcMilliseconds && _outstanding.TryRemove(correlationId, out _))
            {
                LogExpired(_logger, RemoteName, request.Target);
                request.Handler.OnExpired(request);
            }
        }

        CloseIfDrained();
    }

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "{Remote} did not answer a call to grain {GrainId} by the call's deadline; no longer waiting for it")]
    private static partial void LogExpired(ILogger logger, string remote, GrainId grainId);
}
