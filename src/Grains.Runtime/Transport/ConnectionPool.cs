using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using Grains.Cluster;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Transport;

/// <summary>
/// One outbound connection per silo, opened on first use (sockets and System.IO.Pipelines), shared by every call to
/// that silo, and dropped when it closes. The handshake checks the cluster id and that the listener is the very silo
/// (same generation) the caller meant.
/// </summary>
internal sealed partial class ConnectionPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<SiloAddress, Lazy<Task<GrainConnection>>> _connections = new();
    private readonly TransportOptions _transport;
    private readonly MembershipOptions _membership;
    private readonly LocalSilo? _self;
    private readonly SiloNetworkFaults _faults;
    private readonly ILogger<ConnectionPool> _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;

    // Set once the pool is disposed (its process stopping): a call retried after that opens no new connection,
    // which nothing would close.
    private volatile bool _disposed;

    public ConnectionPool(
        IOptions<TransportOptions> transport,
        IOptions<MembershipOptions> membership,
        SiloNetworkFaults faults,
        ILoggerFactory loggerFactory,
        TimeProvider time,
        LocalSilo? self = null)
    {
        _time = time;
        _transport = transport.Value;
        _membership = membership.Value;
        _faults = faults;
        _self = self;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ConnectionPool>();
    }

    /// <summary>The grain types the last silo reported in its handshake (interface full name to grain type).</summary>
    public IReadOnlyDictionary<string, string> RemoteGrainTypes { get; private set; } = new Dictionary<string, string>();

    /// <summary>The connection to a silo when one is open and takes requests now (no waiting, no connecting).</summary>
    public bool TryGetOpen(SiloAddress silo, out GrainConnection connection)
    {
        if (_connections.TryGetValue(silo, out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully &&
            entry.Value.Result is { AcceptsRequests: true } open)
        {
            connection = open;
            return true;
        }

        connection = null!;
        return false;
    }

    public async Task<GrainConnection> GetAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (_disposed)
            {
                throw new SiloUnavailableException($"This process is stopping; it opens no connection to silo {silo}.");
            }

            // Connected on the thread pool: every caller waiting for the connection shares it, so it runs on none of
            // their contexts (a grain's turn, whose mailbox would hold up the handshake for all of them).
            var entry = _connections.GetOrAdd(silo, s => new Lazy<Task<GrainConnection>>(() => Task.Run(() => ConnectAsync(s))));
            GrainConnection connection;
            try
            {
                connection = await entry.Value.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !entry.Value.IsFaulted && !entry.Value.IsCanceled)
            {
                // Only this caller stopped waiting. The connect goes on (bounded by its own timeout), or has just
                // succeeded, for the next caller: forgotten now, it would leave a connection nothing uses or closes.
                throw;
            }
            catch
            {
                // A failed connect is forgotten so that the next call tries again.
                Forget(silo, entry);
                throw;
            }

            if (connection.AcceptsRequests)
            {
                return connection;
            }

            // Closed, or draining because the silo is going away: a new connection, or the silo's refusal, tells more.
            Forget(silo, entry);
        }

        throw new SiloUnavailableException($"The connection to silo {silo} keeps closing.");
    }

    /// <summary>
    /// Connects to <paramref name="silo"/> outside the pool and closes again at once; throws
    /// <see cref="SiloUnavailableException"/> with the reason when the address does not reach that very silo: its inner
    /// exception is a <see cref="WrongPeerException"/> or an <see cref="InvalidDataException"/> when something else
    /// answered there (another silo, or not a silo at all).
    /// </summary>
    public async Task CheckReachesAsync(SiloAddress silo)
    {
        var connection = await ConnectAsync(silo);
        connection.Abort();
    }

    /// <summary>Closes the connection to a silo at once; its in-flight calls fail at once.</summary>
    public void Drop(SiloAddress silo)
    {
        if (_connections.TryRemove(silo, out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
        {
            entry.Value.Result.Abort();
        }
    }

    /// <summary>
    /// Stops using the connection to a silo declared dead: no new call goes on it, the calls in flight keep it until
    /// they are answered (a silo that left gracefully answers them) or <paramref name="grace"/> has passed.
    /// </summary>
    public void Retire(SiloAddress silo, TimeSpan grace, TimeProvider time)
    {
        if (_connections.TryRemove(silo, out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
        {
            _ = entry.Value.Result.RetireAsync(grace, time);
        }
    }

    /// <summary>
    /// Retires the connections to every silo <paramref name="snapshot"/> says is Dead but <paramref name="self"/>: a silo
    /// that left gracefully announces Dead and still answers for <paramref name="grace"/> (the announcement delay).
    /// </summary>
    public void RetireDead(MembershipSnapshot snapshot, TimeSpan grace, TimeProvider time, SiloAddress? self = null)
    {
        foreach (var entry in snapshot.Entries)
        {
            if (entry.Status == MembershipStatus.Dead && entry.Silo != self)
            {
                Retire(entry.Silo, grace, time);
            }
        }
    }

    public void AbortAll()
    {
        foreach (var silo in _connections.Keys)
        {
            Drop(silo);
        }
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        AbortAll();
        return default;
    }

    private async Task<GrainConnection> ConnectAsync(SiloAddress silo)
    {
        using var timeout = new CancellationTokenSource(_transport.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            TcpKeepAlive.Enable(socket, _transport.KeepAliveTime, _logger);
            await socket.ConnectAsync(silo.EndPoint, timeout.Token);
            var stream = new NetworkStream(socket, ownsSocket: true);
            var pipe = new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream));
            var hello = new HelloMessage(Handshake.ProtocolVersion, _membership.ClusterId, _self is null ? "client" : "silo", _self?.Name, _transport.MaxFrameSize);
            var ack = await Handshake.ConnectAsync(pipe, hello, _transport.MaxFrameSize, timeout.Token);
            if (!ack.Accepted)
            {
                throw new IOException($"Silo {silo} refused the connection: {ack.Reason}");
            }

            if (ack.Silo != silo.ToString())
            {
                throw new WrongPeerException($"The process at {silo.Host}:{silo.Port} is silo {ack.Silo}, not {silo}; the view is out of date.");
            }

            if (ack.MaxFrameSize is < Handshake.MinFrameSize)
            {
                throw new IOException($"Silo {silo} reads frames of at most {ack.MaxFrameSize} bytes, below {Handshake.MinFrameSize}.");
            }

            if (ack.GrainTypes is { Count: > 0 } grainTypes)
            {
                RemoteGrainTypes = grainTypes;
            }

            if (_disposed)
            {
                // Disposed while this connect ran: the socket is closed rather than left to nothing.
                throw new IOException("this process is stopping");
            }

            var connection = new GrainConnection(
                silo.ToString(),
                pipe,
                socket.Dispose,
                requests: null,
                _transport,
                _faults,
                _loggerFactory.CreateLogger<GrainConnection>(),
                requestClock: _time,
                peerMaxFrameSize: ack.MaxFrameSize);
            connection.Start();
            _ = connection.Closed.ContinueWith(
                _ => ForgetClosed(silo, connection),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            LogConnected(_logger, silo);
            return connection;
        }
        catch (Exception exception)
        {
            socket.Dispose();
            LogConnectFailed(_logger, silo, exception.Message);
            throw new SiloUnavailableException($"Cannot connect to silo {silo}: {exception.Message}", exception);
        }
    }

    private void Forget(SiloAddress silo, Lazy<Task<GrainConnection>> entry) =>
        _connections.TryRemove(new KeyValuePair<SiloAddress, Lazy<Task<GrainConnection>>>(silo, entry));

    private void ForgetClosed(SiloAddress silo, GrainConnection connection)
    {
        if (_connections.TryGetValue(silo, out var entry) && entry.IsValueCreated &&
            entry.Value.IsCompletedSuccessfully && ReferenceEquals(entry.Value.Result, connection))
        {
            Forget(silo, entry);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "Connected to silo {Silo}")]
    private static partial void LogConnected(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 311, Level = LogLevel.Debug, Message = "Connecting to silo {Silo} failed: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, SiloAddress silo, string reason);
}

/// <summary>The address reached a silo, but not the one meant (another process, or another start of it).</summary>
internal sealed class WrongPeerException(string message) : IOException(message);
