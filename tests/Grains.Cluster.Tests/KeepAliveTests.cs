using Grains.Cluster.TestGrains;
using Grains.Testing;

namespace Grains.Cluster.Tests;

/// <summary>
/// A peer that vanishes without a word sends no close: only the kernel's keepalive probes find it. Both ends of a
/// silo connection arm them, the connecting client (its pool's socket) and the silo (the socket Kestrel accepted). Linux
/// only: the test reads the kernel's socket table.
/// </summary>
public sealed class KeepAliveTests
{
    private const int KeepAliveTimer = 2;

    [Fact]
    public async Task Both_ends_of_an_idle_connection_to_a_silo_have_the_kernel_probe_their_peer()
    {
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(new ActivationLedger(), 1, TestStorage.Sqlite()));
        await using var client = await cluster.CreateClientAsync();
        Assert.Equal(1, await client.GrainFactory.GetGrain<IPlacedGrain>("probed").Add(1));
        var siloPort = cluster.PrimarySilo.Address.Port;

        // A socket with data not yet acknowledged shows the retransmission timer instead: wait until both ends rest.
        var sockets = KernelTcpTable.EstablishedSockets();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!BothEndsProbed(sockets, siloPort) && !patience.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
            sockets = KernelTcpTable.EstablishedSockets();
        }

        var connecting = sockets.Where(s => s.RemotePort == siloPort).ToList();
        var accepted = sockets.Where(s => s.LocalPort == siloPort).ToList();
        Assert.NotEmpty(connecting);
        Assert.NotEmpty(accepted);
        Assert.All(connecting.Concat(accepted), socket => Assert.Equal(KeepAliveTimer, socket.Timer));
    }

    private static bool BothEndsProbed(IReadOnlyList<KernelTcpTable.Socket> sockets, int siloPort)
    {
        var ends = sockets.Where(s => s.RemotePort == siloPort || s.LocalPort == siloPort).ToList();
        return ends.Any(s => s.RemotePort == siloPort) && ends.Any(s => s.LocalPort == siloPort) && ends.All(s => s.Timer == KeepAliveTimer);
    }
}
