using System.Net;
using System.Net.Sockets;

namespace Quotas.LoadTest.Load.Http;

/// <summary>
/// The generator's HTTP/1.1 client: keep-alive connections to one server, one request at a time on each (no
/// pipelining), opened on demand up to a limit; beyond it requests wait in arrival order for the next free one.
/// It sends bytes built once per tenant and reads only the status and framing of the answer, so that the generator
/// takes as little as it can of the CPU it shares with the server under test; <see cref="HttpClient"/> took about
/// as much as the servers themselves.
/// </summary>
internal sealed class LoopbackClient : IDisposable
{
    /// <summary>
    /// An idle connection older than this is closed rather than reused: servers close idle keep-alive connections
    /// (Kestrel after 130 s), and a request sent on one would fail as if the server had failed it.
    /// </summary>
    public static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly EndPoint _endPoint;
    private readonly int _maxConnections;
    private readonly TimeProvider _time;
    private readonly Stack<LoopbackConnection> _idle = new();
    private readonly Queue<PendingRequest> _waiting = new();
    private readonly HashSet<LoopbackConnection> _open = [];
    private int _connections; // open or being opened: what the limit counts
    private long _opened;
    private bool _disposed;

    public LoopbackClient(EndPoint endPoint, int maxConnections, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConnections);
        _endPoint = endPoint;
        _maxConnections = maxConnections;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Connections opened since the client was created.</summary>
    public long OpenedConnections => Interlocked.Read(ref _opened);

    /// <summary>Connections open now, idle or busy.</summary>
    public int OpenConnections
    {
        get
        {
            lock (_gate)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>
    /// Sends the request on a free connection from the calling thread, or queues it if every connection is busy.
    /// Its end, whatever it is, reaches <see cref="PendingRequest.Sink"/>.
    /// </summary>
    public void Send(PendingRequest request)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _waiting.Enqueue(request);
                request = default;
            }
        }

        request.Sink?.Failed(request.Token, "the client was closed");
        Pump();
    }

    public void Dispose()
    {
        List<LoopbackConnection> open;
        List<PendingRequest> waiting;
        lock (_gate)
        {
            _disposed = true;
            open = [.. _open];
            waiting = [.. _waiting];
            _waiting.Clear();
        }

        // A busy connection's receive then fails, which reports its request and discards it.
        foreach (var connection in open)
        {
            connection.Close();
        }

        foreach (var request in waiting)
        {
            request.Sink.Failed(request.Token, "the client was closed");
        }
    }

    internal void Return(LoopbackConnection connection)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                connection.IdleSince = _time.GetTimestamp();
                _idle.Push(connection);
                connection = null!;
            }
        }

        if (connection is not null)
        {
            Discard(connection);
            return;
        }

        Pump();
    }

    /// <param name="pump">False when the caller is <see cref="Pump"/> itself, which goes on by its own loop.</param>
    internal void Discard(LoopbackConnection connection, bool pump = true)
    {
        connection.Close();
        lock (_gate)
        {
            if (_open.Remove(connection))
            {
                _connections--;
            }
        }

        if (pump)
        {
            Pump();
        }
    }

    /// <summary>Starts waiting requests while there are connections for them.</summary>
    private void Pump()
    {
        while (true)
        {
            LoopbackConnection? connection;
            PendingRequest request;
            lock (_gate)
            {
                if (_disposed || _waiting.Count == 0)
                {
                    return;
                }

                connection = TakeIdle();
                if (connection is null)
                {
                    if (_connections >= _maxConnections)
                    {
                        // Every connection is busy: the next one to finish starts the request.
                        return;
                    }

                    _connections++;
                }

                request = _waiting.Dequeue();
            }

            if (connection is null)
            {
                try
                {
                    connection = LoopbackConnection.Open(this, _endPoint);
                    Interlocked.Increment(ref _opened);
                }
                catch (SocketException e)
                {
                    lock (_gate)
                    {
                        _connections--;
                    }

                    request.Sink.Failed(request.Token, $"connecting to {_endPoint}: {e.Message}");
                    continue;
                }

                bool closed;
                lock (_gate)
                {
                    closed = _disposed;
                    if (closed)
                    {
                        _connections--;
                    }
                    else
                    {
                        _open.Add(connection);
                    }
                }

                if (closed)
                {
                    // Closed while this one was connecting: Dispose did not see it.
                    connection.Close();
                    request.Sink.Failed(request.Token, "the client was closed");
                    continue;
                }
            }

            connection.Start(request);
        }
    }

    /// <summary>The most recently used idle connection that is fresh enough; closes the stale ones it meets. Under the gate.</summary>
    private LoopbackConnection? TakeIdle()
    {
        while (_idle.TryPop(out var connection))
        {
            if (_time.GetElapsedTime(connection.IdleSince) < MaxIdle)
            {
                return connection;
            }

            connection.Close();
            _open.Remove(connection);
            _connections--;
        }

        return null;
    }
}
