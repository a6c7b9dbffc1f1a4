using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Grains.Benchmarks;

/// <summary>
/// The baseline of cross-silo calls: a raw length-prefixed TCP echo over loopback with System.IO.Pipelines on both
/// sides, requests multiplexed on one connection by correlation id. Nothing a transport could skip.
/// </summary>
internal sealed class PipelinesEchoServer : IAsyncDisposable
{
    private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _accepted = [];
    private readonly Task _acceptLoop;

    public PipelinesEchoServer()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        _acceptLoop = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        foreach (var socket in _accepted)
        {
            socket.Dispose();
        }

        try
        {
            await _acceptLoop;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            var socket = await _listener.AcceptAsync();
            socket.NoDelay = true;
            _accepted.Add(socket);
            var stream = new NetworkStream(socket);
            _ = EchoAsync(PipeReader.Create(stream), PipeWriter.Create(stream));
        }
    }

    private static async Task EchoAsync(PipeReader input, PipeWriter output)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                while (TryReadFrame(ref buffer, out var frame))
                {
                    var prefix = output.GetSpan(4);
                    BinaryPrimitives.WriteInt32LittleEndian(prefix, (int)frame.Length);
                    output.Advance(4);
                    foreach (var segment in frame)
                    {
                        output.Write(segment.Span);
                    }
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                await output.FlushAsync();
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (IOException)
        {
        }
    }

    internal static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (buffer.Length < 4 + length)
        {
            return false;
        }

        frame = buffer.Slice(4, length);
        buffer = buffer.Slice(frame.End);
        return true;
    }
}

/// <summary>
/// The baseline's client: one connection, a correlation id per request, a completion per reply, and a writer loop
/// that batches queued requests into one flush (the same technique the silo transport uses).
/// </summary>
internal sealed class PipelinesEchoClient : IAsyncDisposable
{
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly ConcurrentDictionary<long, TaskCompletionSource<int>> _pending = new();
    private readonly Channel<(long Id, int Value)> _requests = Channel.CreateUnbounded<(long, int)>(new UnboundedChannelOptions { SingleReader = true });
    private Task _loops = Task.CompletedTask;
    private long _nextId;

    public async Task ConnectAsync(IPEndPoint endPoint)
    {
        await _socket.ConnectAsync(endPoint);
        var stream = new NetworkStream(_socket);
        _loops = Task.WhenAll(ReadAsync(PipeReader.Create(stream)), WriteAsync(PipeWriter.Create(stream)));
    }

    /// <summary>Sends a 16-byte request (correlation id and value) and waits for its echo.</summary>
    public Task<int> EchoAsync(int value)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        _requests.Writer.TryWrite((id, value));
        return reply.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        _socket.Dispose();
        try
        {
            await _loops;
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task WriteAsync(PipeWriter output)
    {
        while (await _requests.Reader.WaitToReadAsync())
        {
            while (_requests.Reader.TryRead(out var request))
            {
                var span = output.GetSpan(20);
                BinaryPrimitives.WriteInt32LittleEndian(span, 16);
                BinaryPrimitives.WriteInt64LittleEndian(span[4..], request.Id);
                BinaryPrimitives.WriteInt64LittleEndian(span[12..], request.Value);
                output.Advance(20);
            }

            await output.FlushAsync();
        }
    }

    private async Task ReadAsync(PipeReader input)
    {
        while (true)
        {
            var result = await input.ReadAsync();
            var buffer = result.Buffer;
            while (PipelinesEchoServer.TryReadFrame(ref buffer, out var frame))
            {
                Complete(frame);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private void Complete(ReadOnlySequence<byte> frame)
    {
        Span<byte> body = stackalloc byte[16];
        frame.CopyTo(body);
        if (_pending.TryRemove(BinaryPrimitives.ReadInt64LittleEndian(body), out var reply))
        {
            reply.SetResult((int)BinaryPrimitives.ReadInt64LittleEndian(body[8..]) + 1);
        }
    }
}
