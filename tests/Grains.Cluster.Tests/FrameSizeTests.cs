using Grains.Cluster.TestGrains;
using Grains.Testing;
using Grains.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Cluster.Tests;

/// <summary>
/// Two ends of a connection may read different frame sizes (Grains:Endpoint:MaxFrameSize). Each says its own at the
/// handshake and sends no more than the smaller: a call or an answer too large for the peer fails alone, with the
/// reason, instead of making the peer close the connection and fail every call on it.
/// </summary>
public sealed class FrameSizeTests
{
    private const int SmallFrames = 64 * 1024;
    private const int LargerThanSmallFrames = 100_000;

    [Fact]
    public async Task A_call_larger_than_the_silo_reads_fails_alone_with_the_reason()
    {
        var ledger = new ActivationLedger();
        var options = Clusters.Options(ledger, 1, TestStorage.Sqlite());
        var services = options.ConfigureServices;
        options.ConfigureServices = s =>
        {
            services?.Invoke(s);
            s.Configure<TransportOptions>(endpoint => endpoint.MaxFrameSize = SmallFrames);
        };
        await using var cluster = await TestCluster.StartAsync(options);
        await using var client = await cluster.CreateClientAsync();
        var (held, grain) = await HoldACallAsync(client, ledger);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => grain.Fail(new string('x', LargerThanSmallFrames)));

        Assert.Contains($"maximum frame size of {SmallFrames} bytes", error.Message, StringComparison.Ordinal);
        await ReleaseAsync(held, ledger);
        Assert.Equal(1, await grain.Add(1));
    }

    [Fact]
    public async Task An_answer_larger_than_the_client_reads_fails_alone_with_the_reason()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 1, TestStorage.Sqlite()));
        await using var client = await cluster.CreateClientAsync(endpoint => endpoint.MaxFrameSize = SmallFrames);
        var (held, grain) = await HoldACallAsync(client, ledger);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Repeat('x', LargerThanSmallFrames));

        Assert.Contains("could not be sent", error.Message, StringComparison.Ordinal);
        Assert.Contains($"maximum frame size of {SmallFrames} bytes", error.Message, StringComparison.Ordinal);
        await ReleaseAsync(held, ledger);
        Assert.Equal(1_000, (await grain.Repeat('y', 1_000)).Length);
    }

    /// <summary>
    /// Frames larger than the input buffer a silo's listener keeps (1 MiB by default) arrive whole: a frame waited for
    /// without taking any of it from that buffer would stop the connection once the buffer filled.
    /// </summary>
    [Fact]
    public async Task Calls_and_answers_of_several_mebibytes_arrive_whole()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 1, TestStorage.Sqlite()));
        await using var client = await cluster.CreateClientAsync();
        var grain = client.GrainFactory.GetGrain<IPlacedGrain>("large");
        var large = new string('x', 3 * 1024 * 1024);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Fail(large).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(large.Length, error.Message.Length);
        Assert.Equal(large.Length, (await grain.Repeat('y', large.Length).WaitAsync(TimeSpan.FromSeconds(30))).Length);
        Assert.Equal(1, await grain.Add(1));
    }

    /// <summary>A call left in flight on the client's connection to the silo: it fails if that connection closes.</summary>
    private static async Task<(Task Held, IPlacedGrain Other)> HoldACallAsync(TestClient client, ActivationLedger ledger)
    {
        var held = client.GrainFactory.GetGrain<IPlacedGrain>("held").Hold();
        await ledger.Entered("held").WaitAsync(TimeSpan.FromSeconds(30));
        return (held, client.GrainFactory.GetGrain<IPlacedGrain>("large"));
    }

    private static async Task ReleaseAsync(Task held, ActivationLedger ledger)
    {
        Assert.False(held.IsCompleted, "the held call ended before it was released");
        ledger.Release("held");
        await held.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
