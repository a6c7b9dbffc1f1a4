using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using Grains.Cluster.TestGrains;
using Grains.Serialization;
using Grains.Testing;
using Grains.Transport;
using Microsoft.Extensions.Logging;

namespace Grains.Cluster.Tests;

public sealed class BadConnectionTests : IAsyncLifetime
{
    private readonly InMemoryLoggerProvider _logs = new(LogLevel.Warning);
    private TestCluster _cluster = null!;
    private TestClient _client = null!;

    public async Task InitializeAsync()
    {
        var options = Clusters.Options(new ActivationLedger(), 1);
        options.ConfigureLogging = logging => logging.AddProvider(_logs);
        _cluster = await TestCluster.StartAsync(options);
        _client = await _cluster.CreateClientAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task Connection_that_sends_garbage_is_closed_and_logged_and_others_keep_working()
    {
        using var socket = await ConnectAsync();
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: silo\r\n\r\n"u8.ToArray());

        await AssertClosedAsync(socket);
        await WaitForLogAsync(330, "preamble");
        Assert.Equal(5, await _client.GrainFactory.GetGrain<IPlacedGrain>("unaffected").Add(5));
    }

    /// <summary>A TCP health check or a port scan connects and closes: noted at Debug, never a warning each time.</summary>
    [Fact]
    public async Task Connection_closed_without_sending_anything_is_not_a_warning()
    {
        using var logs = new InMemoryLoggerProvider(LogLevel.Debug);
        var options = Clusters.Options(new ActivationLedger(), 1);
        options.ConfigureLogging = logging => logging.AddProvider(logs).AddFilter<InMemoryLoggerProvider>("Grains", LogLevel.Debug);
        await using var cluster = await TestCluster.StartAsync(options);

        using (var probe = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await probe.ConnectAsync(cluster.PrimarySilo.Address.EndPoint);
            probe.Shutdown(SocketShutdown.Both);
        }

        var noted = await logs.WaitForAsync(e => e.EventId.Id == 332);
        Assert.Equal(LogLevel.Debug, noted.Level);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning && e.Category.StartsWith("Grains.Transport", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connection_that_sends_an_oversized_frame_is_closed_and_logged_and_others_keep_working()
    {
        var grain = _client.GrainFactory.GetGrain<IPlacedGrain>("busy");
        await grain.Add(1);
        using var socket = await ConnectAndHandshakeAsync(_cluster.Options.ClusterId);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(prefix, 100 * 1024 * 1024);

        await socket.SendAsync(prefix);

        await AssertClosedAsync(socket);
        await WaitForLogAsync(300, "frame length 104857600");
        Assert.Equal(2, await grain.Add(1));
    }

    [Fact]
    public async Task Frame_with_a_malformed_header_closes_the_connection()
    {
        using var socket = await ConnectAndHandshakeAsync(_cluster.Options.ClusterId);
        var frame = new byte[4 + 40];
        BinaryPrimitives.WriteInt32LittleEndian(frame, 40);
        frame[4] = 200;

        await socket.SendAsync(frame);

        await AssertClosedAsync(socket);
        await WaitForLogAsync(300, "message header");
    }

    [Fact]
    public async Task Call_of_a_method_the_silo_does_not_know_fails_as_an_unknown_method_and_the_connection_stays()
    {
        using var socket = await ConnectAndHandshakeAsync(_cluster.Options.ClusterId);
        var frame = new FrameBuilder();
        var deadline = TimeProvider.System.GetUtcNow().AddMinutes(1).ToUnixTimeMilliseconds();
        new MessageHeader(MessageKind.Request, 7, 0, deadline, 0, MessageFlags.None, "client", "placed", "newer", typeof(IPlacedGrain).FullName!, 0x7EADBEEF).Write(frame);
        "[]"u8.CopyTo(frame.GetSpan(2));
        frame.Advance(2);
        frame.Seal(64 * 1024);

        await socket.SendAsync(frame.Memory);
        var (header, failure) = await ReadFrameAsync(socket);
        await socket.SendAsync(frame.Memory);
        var (again, _) = await ReadFrameAsync(socket);

        Assert.Equal(MessageKind.Failure, header.Kind);
        Assert.Equal(7, header.CorrelationId);
        var error = Assert.IsType<UnknownGrainMethodException>(RemoteExceptions.Read(failure));
        Assert.Contains("7EADBEEF", error.Message);
        Assert.Equal(MessageKind.Failure, again.Kind);
        frame.Return();
    }

    [Fact]
    public async Task Peer_of_another_cluster_is_refused_with_the_reason()
    {
        using var socket = await ConnectAsync();
        await using var stream = new NetworkStream(socket);
        var pipe = new StreamPipe(stream);

        var ack = await Handshake.ConnectAsync(pipe, new HelloMessage(Handshake.ProtocolVersion, "someone-else", "client", null), 64 * 1024, CancellationToken.None);

        Assert.False(ack.Accepted);
        Assert.Contains("cluster 'someone-else'", ack.Reason);
        await WaitForLogAsync(330, "someone-else");
    }

    /// <summary>
    /// A peer that says it reads frames smaller than any answer (not even a failure fits) is refused: sealing the answer
    /// for it threw on the read loop of the connection that answer came from, and closed that connection.
    /// </summary>
    [Fact]
    public async Task Peer_that_reads_frames_smaller_than_any_answer_is_refused_with_the_reason()
    {
        using var socket = await ConnectAsync();
        await using var stream = new NetworkStream(socket);
        var hello = new HelloMessage(Handshake.ProtocolVersion, _cluster.Options.ClusterId, "client", null, MaxFrameSize: 600);

        var ack = await Handshake.ConnectAsync(new StreamPipe(stream), hello, 64 * 1024, CancellationToken.None);

        Assert.False(ack.Accepted);
        Assert.Equal("its maximum frame size of 600 bytes is below 1024 (Grains:Endpoint:MaxFrameSize)", ack.Reason);
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_cluster.PrimarySilo.Address.EndPoint);
        return socket;
    }

    private async Task<Socket> ConnectAndHandshakeAsync(string clusterId)
    {
        var socket = await ConnectAsync();
        var stream = new NetworkStream(socket);
        var ack = await Handshake.ConnectAsync(new StreamPipe(stream), new HelloMessage(Handshake.ProtocolVersion, clusterId, "client", null), 64 * 1024, CancellationToken.None);
        Assert.True(ack.Accepted, ack.Reason);
        return socket;
    }

    /// <summary>Reads one frame: its header and the payload after it.</summary>
    private static async Task<(MessageHeader Header, byte[] Payload)> ReadFrameAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var prefix = new byte[4];
        await ReceiveExactlyAsync(socket, prefix, timeout.Token);
        var frame = new byte[BinaryPrimitives.ReadInt32LittleEndian(prefix)];
        await ReceiveExactlyAsync(socket, frame, timeout.Token);
        var header = MessageHeader.Read(frame, out var consumed);
        return (header, frame[consumed..]);
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            var read = await socket.ReceiveAsync(buffer, cancellationToken);
            Assert.True(read > 0, "the silo closed the connection");
            buffer = buffer[read..];
        }
    }

    private static async Task AssertClosedAsync(Socket socket)
    {
        var buffer = new byte[256];
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (await socket.ReceiveAsync(buffer, timeout.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Reset by the silo: closed as well.
        }
    }

    private Task WaitForLogAsync(int eventId, string text) =>
        _logs.WaitForAsync(e => e.EventId.Id == eventId && e.Message.Contains(text, StringComparison.Ordinal));

    private sealed class StreamPipe(Stream stream) : IDuplexPipe
    {
        public PipeReader Input { get; } = PipeReader.Create(stream);

        public PipeWriter Output { get; } = PipeWriter.Create(stream);
    }
}
