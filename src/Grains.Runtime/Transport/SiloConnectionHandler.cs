using System.Collections.Concurrent;
using Grains.Cluster;
using Grains.Manifest;
using Grains.Messaging;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Transport;

/// <summary>
/// Kestrel's handler for the silo port: runs the handshake (preamble, cluster id, protocol version), then serves
/// the connection's requests until it closes. Garbage, oversized frames and peers of another cluster are logged and
/// disconnected without disturbing other connections.
/// </summary>
internal sealed partial class SiloConnectionHandler : ConnectionHandler
{
    private readonly ConcurrentDictionary<GrainConnection, byte> _connections = new();
    private readonly ClusterRouter _router;
    private readonly LocalSilo _self;
    private readonly GrainTypeRegistry _registry;
    private readonly TransportOptions _transport;
    private readonly MembershipOptions _membership;
    private readonly SiloNetworkFaults _faults;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<SiloConnectionHandler> _logger;
    private Dictionary<string, string>? _grainTypes;
    private int _goingAway;

    public SiloConnectionHandler(
        ClusterRouter router,
        LocalSilo self,
        GrainTypeRegistry registry,
        IOptions<TransportOptions> transport,
        IOptions<MembershipOptions> membership,
        SiloNetworkFaults faults,
        ILoggerFactory loggerFactory)
    {
        _router = router;
        _self = self;
        _registry = registry;
        _transport = transport.Value;
        _membership = membership.Value;
        _faults = faults;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<SiloConnectionHandler>();
    }

    public int ConnectionCount => _connections.Count;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint?.ToString() ?? connection.ConnectionId;
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
        {
            TcpKeepAlive.Enable(socket, _transport.KeepAliveTime, _logger);
        }

        HelloMessage hello;
        using var timeout = new CancellationTokenSource(_transport.ConnectTimeout);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, connection.ConnectionClosed);
            hello = await Handshake.AcceptAsync(connection.Transport, _transport.MaxFrameSize, linked.Token);
        }
        catch (Exception exception) when (exception is EndOfStreamException
            || (exception is OperationCanceledException && connection.ConnectionClosed.IsCancellationRequested && !timeout.IsCancellationRequested))
        {
            // A TCP health check or a port scan: it connects and closes (seen as the end of the input, or as the
            // connection's close cutting the read short). Not worth a warning each time.
            LogClosedUnused(_logger, remote);
            return;
        }
        catch (Exception exception) when (exception is InvalidDataException or OperationCanceledException or IOException)
        {
            LogRefused(_logger, remote, exception.Message);
            return;
        }

        var refusal = hello.Protocol != Handshake.ProtocolVersion
            ? $"protocol {hello.Protocol} is not supported (this silo speaks {Handshake.ProtocolVersion})"
            : hello.ClusterId != _membership.ClusterId
                ? $"it belongs to cluster '{hello.ClusterId}', this silo to cluster '{_membership.ClusterId}'"
                : hello.MaxFrameSize is < Handshake.MinFrameSize
                    ? $"its maximum frame size of {hello.MaxFrameSize} bytes is below {Handshake.MinFrameSize} (Grains:Endpoint:MaxFrameSize)"
                : !_self.HasJoined ? "this silo has not joined the cluster yet"
                : Volatile.Read(ref _goingAway) == 1 ? "this silo is leaving the cluster" : null;
        var ack = refusal is null
            ? new HelloAckMessage(true, null, _self.Name, _grainTypes ??= _registry.GrainTypesByInterfaceName(), _transport.MaxFrameSize)
            : new HelloAckMessage(false, refusal, _self.Name, null);
        try
        {
            await Handshake.ReplyAsync(connection.Transport, ack, _transport.MaxFrameSize, connection.ConnectionClosed);
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            // The peer went away before the answer: nothing was set up for it. (Kestrel would log it as unhandled.)
            LogRefused(_logger, remote, $"it closed the connection before the handshake's answer ({exception.Message})");
            return;
        }

        if (refusal is not null)
        {
            LogRefused(_logger, remote, refusal);
            return;
        }

        var name = hello.Silo is { Length: > 0 } silo ? silo : $"client {remote}";
        var grainConnection = new GrainConnection(
            name,
            connection.Transport,
            connection.Abort,
            _router,
            _transport,
            _faults,
            _loggerFactory.CreateLogger<GrainConnection>(),
            peerMaxFrameSize: hello.MaxFrameSize);
        _connections[grainConnection] = 0;

        // Accepted while the silo began to go away: GoAwayAsync may have missed it (it adds before it reads the flag).
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _goingAway) == 1)
        {
            grainConnection.SendGoAway();
        }

        // Kestrel asks every connection to close when the server stops; a silo connection closes at once.
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        using var closeRequested = lifetime?.ConnectionClosedRequested.Register(static state => ((GrainConnection)state!).Abort(), grainConnection);
        try
        {
            grainConnection.Start();
            // Returning hands the pipes back to Kestrel, which completes them and pools their memory: not while the
            // read loop still dispatches a frame from that memory or a writer still copies into it.
            await grainConnection.Stopped;
        }
        finally
        {
            _connections.TryRemove(grainConnection, out _);
        }
    }

    /// <summary>
    /// The close handshake of a silo that is leaving: refuses new connections, asks each peer to go away
    /// (<see cref="MessageKind.GoAway"/>) and waits, at most <paramref name="timeout"/>, until every peer has closed
    /// its connection once its last request was answered.
    /// </summary>
    public async Task GoAwayAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _goingAway, 1);
        foreach (var connection in _connections.Keys)
        {
            connection.SendGoAway();
        }

        var giveUpAt = time.GetUtcNow() + timeout;
        while (OpenConnections() is { Length: > 0 } open)
        {
            var left = giveUpAt - time.GetUtcNow();
            try
            {
                await Task.WhenAll(open.Select(c => c.Closed)).WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                LogPeersStayed(_logger, open.Count(c => !c.Closed.IsCompleted), timeout);
                break;
            }
        }
    }

    private GrainConnection[] OpenConnections() => [.. _connections.Keys.Where(c => !c.Closed.IsCompleted)];

    /// <summary>Drops every inbound connection at once (a killed silo says no goodbye).</summary>
    public void AbortAll()
    {
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Warning, Message = "Refused the connection from {Remote}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string remote, string reason);

    [LoggerMessage(EventId = 332, Level = LogLevel.Debug, Message = "{Remote} connected to the silo port and closed before the handshake (a health check or a port scan)")]
    private static partial void LogClosedUnused(ILogger logger, string remote);

    [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "{Count} peers kept their connections open {Timeout} after being asked to go away; closing them")]
    private static partial void LogPeersStayed(ILogger logger, int count, TimeSpan timeout);
}
