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
    private readonly Lock _gate = new();
    private readonly EndPoint _endPoint;
    private readonly int _maxConnections;
    private readonly Stack<LoopbackConnection> _idle = new();
    private readonly Queue<PendingRequest> _waiting = new();
    private readonly HashSet<LoopbackConnection> _open = [];
    private int _connections; // open or being opened: what the limit counts
    private bool _disposed;

    public LoopbackClient(EndPoint endPoint, int maxConnections)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConnections);
        _endPoint = endPoint;
        _maxConnections = maxConnections;
    }

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

    internal void Discard(LoopbackConnection connection)
    {
        connection.Close();
        lock (_gate)
        {
            if (_open.Remove(connection))
            {
                _connections--;
            }
        }

        Pump();
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

                if (!_idle.TryPop(out connection))
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
}
