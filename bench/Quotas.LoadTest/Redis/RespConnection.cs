using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Quotas.LoadTest.Redis;

/// <summary>
/// One pipelined connection to a Redis on loopback. Callers queue commands without a lock; one writer loop sends them
/// in queue order, everything queued meanwhile in one write; one reader loop matches replies to commands in the same
/// order, which RESP guarantees. A broken connection fails every pending and later command.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Channel<RespCommand> _queue = Channel.CreateUnbounded<RespCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<RespCommand> _awaitingReply = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _writer;
    private readonly Task _reader;
    private Exception? _failure;

    private RespConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _input = PipeReader.Create(_stream);
        _output = PipeWriter.Create(_stream);
        _writer = Task.Run(WriteLoopAsync);
        _reader = Task.Run(ReadLoopAsync);
    }

    public static async Task<RespConnection> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return new RespConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Task<RespValue> SendAsync(RespCommand command)
    {
        if (!_queue.Writer.TryWrite(command))
        {
            command.Reply.TrySetException(Closed());
        }

        return command.Reply.Task;
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new RespException("The connection was closed."));
        await Task.WhenAll(_writer, _reader);
        _socket.Dispose();
        await _stream.DisposeAsync();
        _closing.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            var queue = _queue.Reader;
            while (await queue.WaitToReadAsync(_closing.Token))
            {
                while (queue.TryRead(out var command))
                {
                    // Awaited before it is written: the reader can never see a reply that has no command yet.
                    _awaitingReply.Enqueue(command);
                    RespProtocol.Write(_output, command);
                }

                if ((await _output.FlushAsync(_closing.Token)).IsCompleted)
                {
                    throw new RespException("Redis stopped reading from the connection.");
                }
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            // Only this loop reads the queue (it is single-reader), so only it fails what is still queued.
            Fail(new RespException("The connection was closed."));
            while (_queue.Reader.TryRead(out var command))
            {
                command.Reply.TrySetException(Closed());
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var read = await _input.ReadAsync(_closing.Token);
                var buffer = read.Buffer;
                while (RespProtocol.TryRead(ref buffer, out var reply))
                {
                    if (!_awaitingReply.TryDequeue(out var command))
                    {
                        throw new RespException("Redis sent a reply to no command.");
                    }

                    if (reply.Kind == RespKind.Error)
                    {
                        command.Reply.TrySetException(new RespException($"Redis answered {command.Name} with: {reply.Text}"));
                    }
                    else
                    {
                        command.Reply.TrySetResult(reply);
                    }
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    throw new RespException("Redis closed the connection.");
                }
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    /// <summary>Idempotent: the first cause is the one reported; every call fails what awaits a reply by then.</summary>
    private void Fail(Exception cause)
    {
        if (Interlocked.CompareExchange(ref _failure, cause, null) is null)
        {
            _queue.Writer.TryComplete();
            _closing.Cancel();
        }

        while (_awaitingReply.TryDequeue(out var command))
        {
            command.Reply.TrySetException(Closed());
        }
    }

    private RespException Closed() => new($"The Redis connection is broken: {_failure?.Message ?? "closed"}");
}
