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
    private int _probing;

    // Frames read from the peer so far: one that sends anything while a liveness ping waits is alive, however long its
    // answer to the ping waits behind what it sends.
    private long _framesRead;

    /// <summary>The last liveness probe (see <see cref="ProbeLivenessAsync"/>), for tests to wait on; completed when none ran.</summary>
    internal Task LastProbe { get; private set; } = Task.CompletedTask;

    // Only a connection that sends requests has a clock; one that only answers has nothing to expire.
    private void StartExpiry()
    {
        if (_requestClock is { } clock)
        {
            _expiryTimer = clock.CreateTimer(static state => ((GrainConnection)state!).ExpireOverdue(), this, ExpiryInterval, ExpiryInterval);
        }
    }

    /// <summary>
    /// Turns the request's deadline (wall clock, as the call carries it between processes) into a moment on the clock's
    /// monotonic timestamp, once, when it is sent.
    /// </summary>
    private void SetExpiry(OutstandingRequest request)
    {
        if (_requestClock is not { } clock || request.DeadlineUtcMilliseconds <= 0)
        {
            return;
        }

        var left = Math.Max(0, request.DeadlineUtcMilliseconds - clock.GetUtcNow().ToUnixTimeMilliseconds());
        request.ExpiresAtTimestamp = clock.GetTimestamp() + (long)(left / 1000.0 * clock.TimestampFrequency);
    }

    private void ExpireOverdue()
    {
        var now = _requestClock!.GetTimestamp();
        var expired = false;
        foreach (var (correlationId, request) in _outstanding)
        {
            // A reply that removed the entry first wins; the handler hears of each request once.
            if (request.ExpiresAtTimestamp > 0 && now >= request.ExpiresAtTimestamp && _outstanding.TryRemove(correlationId, out _))
            {
                expired = true;
                request.MarkExpired();
                LogExpired(_logger, RemoteName, request.Target);
                try
                {
                    request.Handler.OnExpired(request);
                }
                catch (Exception exception)
                {
                    // A timer callback must not throw: the process would go down, and the other requests stay.
                    LogExpiryFailed(_logger, exception, RemoteName);
                }
            }
        }

        try
        {
            CloseIfDrained();
        }
        catch (Exception exception)
        {
            LogExpiryFailed(_logger, exception, RemoteName);
        }

        if (expired && _options.LivenessTimeout > TimeSpan.Zero && !IsClosed && Interlocked.Exchange(ref _probing, 1) == 0)
        {
            LastProbe = ProbeLivenessAsync();
        }
    }

    /// <summary>
    /// Whether the peer shows within <paramref name="timeout"/> that it is alive: it answers a ping (see
    /// <see cref="PingAsync"/>), or sends any other frame while the ping waits. A peer busy sending answers is alive,
    /// however long its answer to the ping waits behind them, or the ping itself behind what this side sends it: a
    /// healthy silo under load must not be voted dead for it, nor its connection closed.
    /// </summary>
    public async Task<bool> ProbeAsync(long membershipVersion, string sender, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var readBefore = Volatile.Read(ref _framesRead);
        return await PingAsync(membershipVersion, sender, timeout, time, cancellationToken)
            || (!IsClosed && Volatile.Read(ref _framesRead) != readBefore);
    }

    /// <summary>
    /// Calls that ran past their deadlines mean a grain that hangs, for which the peer still answers pings, or a peer
    /// gone without a word (its host vanished, or something on the way dropped the connection without telling either
    /// end): then every later call on this connection would wait for its deadline too, and the connection would never
    /// close, as nothing is ever read from it again. A ping tells the two apart: a connection on which nothing at all
    /// arrives while the ping waits (no answer, no other frame) closes, failing what it still carries, so that the next
    /// call opens a new one or learns the peer is gone.
    /// </summary>
    private async Task ProbeLivenessAsync()
    {
        try
        {
            if (!await ProbeAsync(0, "", _options.LivenessTimeout, _requestClock!) && !IsClosed)
            {
                LogUnresponsive(_logger, RemoteName, _options.LivenessTimeout);
                Abort(new ConnectionClosedException(RemoteName));
            }
        }
        catch (Exception exception)
        {
            LogExpiryFailed(_logger, exception, RemoteName);
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "{Remote} did not answer a call to grain {GrainId} by the call's deadline; no longer waiting for it")]
    private static partial void LogExpired(ILogger logger, string remote, GrainId grainId);

    [LoggerMessage(EventId = 306, Level = LogLevel.Error, Message = "Failing a call to {Remote} that ran past its deadline failed")]
    private static partial void LogExpiryFailed(ILogger logger, Exception exception, string remote);

    [LoggerMessage(EventId = 307, Level = LogLevel.Warning, Message = "{Remote} let calls run past their deadlines and did not answer a ping within {Timeout}; closing the connection, so that the next call opens a new one")]
    private static partial void LogUnresponsive(ILogger logger, string remote, TimeSpan timeout);
}
