using Microsoft.Extensions.Logging;

namespace Grains.Transport;

/// <summary>
/// The close handshake: a peer that is going away says so (<see cref="MessageKind.GoAway"/>), or this process retires
/// the connection to a silo it reads as dead. Either way no new request goes on it, and it closes once the requests in
/// flight are answered, so none of them is cut off with an unknown outcome.
/// </summary>
internal sealed partial class GrainConnection
{
    /// <summary>False once closed, and from the moment the connection drains (the peer is going away, or it was retired).</summary>
    public bool AcceptsRequests => !IsClosed && Volatile.Read(ref _draining) == 0;

    /// <summary>Completes when the connection starts to drain; it closes once its requests are answered.</summary>
    public Task DrainStarted => _drainStarted.Task;

    /// <summary>
    /// Sends no new request here and closes once those in flight are answered, or after <paramref name="grace"/>. For a
    /// peer declared dead: one that left gracefully still answers what it has read; one that crashed broke the
    /// connection already, which failed its requests at once.
    /// </summary>
    public async Task RetireAsync(TimeSpan grace, TimeProvider time)
    {
        BeginDrain();
        try
        {
            await Closed.WaitAsync(grace, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort();
        }
    }

    /// <summary>Tells the peer this process is going away: it sends nothing new here and closes once answered.</summary>
    public void SendGoAway() => SendReply(ControlFrame(MessageKind.GoAway, 0, 0, ""));

    /// <summary>From now on new requests go elsewhere; the connection closes once the last answer is in.</summary>
    private void BeginDrain()
    {
        if (Interlocked.Exchange(ref _draining, 1) == 0)
        {
            LogDraining(_logger, RemoteName, _outstanding.Count);
            _drainStarted.TrySetResult();
            CloseIfDrained();
        }
    }

    /// <summary>
    /// Closes a draining connection with nothing outstanding. A sender adds its request before it reads the draining
    /// flag and the drain sets the flag before it reads the table (both fenced), so a request either sees the flag and
    /// goes elsewhere or is seen here and answered before the close.
    /// </summary>
    private void CloseIfDrained()
    {
        if (Volatile.Read(ref _draining) == 1 && _outstanding.IsEmpty)
        {
            Abort();
        }
    }

    [LoggerMessage(EventId = 304, Level = LogLevel.Debug, Message = "Draining the connection with {Remote}: no new requests; it closes once its {Outstanding} requests are answered")]
    private static partial void LogDraining(ILogger logger, string remote, int outstanding);
}
