using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Quotas.LoadTest.Load.Http;

/// <summary>
/// One keep-alive HTTP/1.1 connection that carries one request at a time. The request is written synchronously by
/// the caller's thread (a few hundred bytes to loopback do not block); the response is received with a reused
/// <see cref="SocketAsyncEventArgs"/>, so a request costs two system calls and no allocation.
/// </summary>
internal sealed class LoopbackConnection : SocketAsyncEventArgs
{
    private const int InitialBuffer = 4 * 1024;
    private const int MaxResponse = 1024 * 1024;

    private readonly LoopbackClient _owner;
    private readonly Socket _socket;
    private byte[] _buffer = new byte[InitialBuffer];
    private int _filled;
    private PendingRequest _current;
    private long _sent;

    private LoopbackConnection(LoopbackClient owner, Socket socket)
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        _owner = owner;
        _socket = socket;
    }

    /// <summary>Timestamp (of the client's clock) at which the connection was last returned idle.</summary>
    public long IdleSince { get; set; }

    public static LoopbackConnection Open(LoopbackClient owner, EndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Connect(endPoint);
            return new LoopbackConnection(owner, socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes the request and starts receiving its response; the owner hears of the end.</summary>
    public void Start(PendingRequest request)
    {
        _current = request;
        _filled = 0;
        try
        {
            _sent = Stopwatch.GetTimestamp();
            var bytes = request.Bytes.AsSpan();
            while (!bytes.IsEmpty)
            {
                bytes = bytes[_socket.Send(bytes)..];
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The caller is the client's pump, which goes on with the next waiting request itself: pumping again
            // from here would nest one call deeper per failing request.
            Fail($"sending: {e.Message}", pump: false);
            return;
        }

        Receive();
    }

    public void Close()
    {
        _socket.Dispose();
    }

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        if (ReadResponse())
        {
            Receive();
        }
    }

    private void Receive()
    {
        SetBuffer(_buffer, _filled, _buffer.Length - _filled);
        bool pending;
        try
        {
            pending = _socket.ReceiveAsync(this);
        }
        catch (ObjectDisposedException)
        {
            Fail("the connection was closed");
            return;
        }

        if (!pending)
        {
            // Completed at once. Handing it on, rather than looping here, keeps a thread that starts one request
            // after another (the response of one starting the next) from growing its stack.
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.OnCompleted(c), this, preferLocal: true);
        }
    }

    /// <returns>True when more bytes are needed.</returns>
    private bool ReadResponse()
    {
        if (SocketError != SocketError.Success)
        {
            Fail($"receiving: {SocketError}");
            return false;
        }

        if (BytesTransferred == 0)
        {
            Fail("the server closed the connection");
            return false;
        }

        _filled += BytesTransferred;
        var response = ResponseParser.Parse(_buffer.AsSpan(0, _filled));
        switch (response.Outcome)
        {
            case ParseOutcome.Incomplete when _filled < _buffer.Length:
                return true;
            case ParseOutcome.Incomplete when _buffer.Length < MaxResponse:
                Array.Resize(ref _buffer, _buffer.Length * 2);
                return true;
            case ParseOutcome.Incomplete:
                Fail($"a response longer than {MaxResponse} bytes");
                return false;
            case ParseOutcome.Invalid:
                Fail($"an unreadable response: {response.Error}");
                return false;
            case ParseOutcome.Complete when response.Length != _filled:
                // Nothing was pipelined, so nothing may follow the response.
                Fail("bytes after the end of the response");
                return false;
            default:
                var completed = Stopwatch.GetTimestamp();
                var request = _current;
                _current = default;
                request.Sink.Completed(request.Token, response.StatusCode, response.RateLimited, _sent, completed);
                if (response.KeepAlive)
                {
                    _owner.Return(this);
                }
                else
                {
                    _owner.Discard(this);
                }

                return false;
        }
    }

    private void Fail(string error, bool pump = true)
    {
        var request = _current;
        _current = default;
        _owner.Discard(this, pump);
        request.Sink?.Failed(request.Token, error);
    }
}
