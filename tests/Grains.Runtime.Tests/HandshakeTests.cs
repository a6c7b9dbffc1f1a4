using System.IO.Pipelines;
using Grains.Transport;

namespace Grains.Runtime.Tests;

/// <summary>The handshake's limits: a Hello from anyone is small; a silo's answer carries its grain type map, whatever its size.</summary>
public sealed class HandshakeTests
{
    private const int MaxFrameSize = 16 * 1024 * 1024;

    [Fact]
    public async Task A_silo_s_answer_larger_than_a_hello_may_be_is_read()
    {
        var (connector, listener) = Pipes();
        var grainTypes = Enumerable.Range(0, 2000).ToDictionary(i => $"Contoso.Grains.Interfaces.IGrainNumber{i:D4}", i => $"grain-number-{i:D4}");

        var connecting = Handshake.ConnectAsync(connector, new HelloMessage(Handshake.ProtocolVersion, "cluster", "client", null), MaxFrameSize, CancellationToken.None);
        await Handshake.AcceptAsync(listener, MaxFrameSize, CancellationToken.None);
        await Handshake.ReplyAsync(listener, new HelloAckMessage(true, null, "silo", grainTypes), MaxFrameSize, CancellationToken.None);
        var ack = await connecting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2000, ack.GrainTypes!.Count);
    }

    [Fact]
    public async Task A_hello_larger_than_64_KiB_is_refused()
    {
        var (connector, listener) = Pipes();

        _ = Handshake.ConnectAsync(connector, new HelloMessage(Handshake.ProtocolVersion, new string('c', 70_000), "client", null), MaxFrameSize, CancellationToken.None);

        await Assert.ThrowsAsync<InvalidDataException>(() => Handshake.AcceptAsync(listener, MaxFrameSize, CancellationToken.None));
    }

    [Fact]
    public async Task Each_end_learns_the_other_s_frame_size_and_a_hello_of_the_release_before_has_none()
    {
        var (connector, listener) = Pipes();

        var connecting = Handshake.ConnectAsync(connector, new HelloMessage(Handshake.ProtocolVersion, "cluster", "silo", "a", 65_536), MaxFrameSize, CancellationToken.None);
        var hello = await Handshake.AcceptAsync(listener, MaxFrameSize, CancellationToken.None);
        await Handshake.ReplyAsync(listener, new HelloAckMessage(true, null, "b", null, 131_072), MaxFrameSize, CancellationToken.None);
        var ack = await connecting.WaitAsync(TimeSpan.FromSeconds(30));
        var older = System.Text.Json.JsonSerializer.Deserialize<HelloMessage>(
            """{"protocol":1,"clusterId":"cluster","role":"silo","silo":"c"}""", new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));

        Assert.Equal(65_536, hello.MaxFrameSize);
        Assert.Equal(131_072, ack.MaxFrameSize);
        Assert.Null(older!.MaxFrameSize);
        Assert.Equal(65_536, SendLimit(MaxFrameSize, hello.MaxFrameSize));
        Assert.Equal(65_536, SendLimit(65_536, ack.MaxFrameSize));
        Assert.Equal(MaxFrameSize, SendLimit(MaxFrameSize, older.MaxFrameSize));
    }

    private static int SendLimit(int own, int? peer)
    {
        using var connection = new GrainConnection(
            "peer", new ConnectionPair.DuplexPipe(new Pipe().Reader, new Pipe().Writer), () => { }, null, new TransportOptions { MaxFrameSize = own },
            new SiloNetworkFaults(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, peerMaxFrameSize: peer);
        return connection.MaxSendFrameSize;
    }

    private static (IDuplexPipe Connector, IDuplexPipe Listener) Pipes()
    {
        // Unbounded, so that a writer never waits for a reader that gave up.
        var unbounded = new PipeOptions(pauseWriterThreshold: 0);
        var toListener = new Pipe(unbounded);
        var toConnector = new Pipe(unbounded);
        return (new ConnectionPair.DuplexPipe(toConnector.Reader, toListener.Writer), new ConnectionPair.DuplexPipe(toListener.Reader, toConnector.Writer));
    }
}
