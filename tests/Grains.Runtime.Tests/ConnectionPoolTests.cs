using System.Net;
using System.Net.Sockets;
using Grains.Cluster;
using Grains.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Grains.Runtime.Tests;

public sealed class ConnectionPoolTests
{
    [Fact]
    public async Task A_caller_that_stops_waiting_leaves_the_connect_to_the_next_caller_instead_of_opening_another()
    {
        // A peer that accepts the socket and never answers the handshake: each connect waits out its own timeout.
        using var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        var accepted = new List<Socket>();
        var silo = new SiloAddress("127.0.0.1", ((IPEndPoint)peer.LocalEndpoint).Port, 1);
        await using var pool = new ConnectionPool(
            Options.Create(new TransportOptions { ConnectTimeout = TimeSpan.FromMinutes(1) }),
            Options.Create(new MembershipOptions()),
            new SiloNetworkFaults(),
            NullLoggerFactory.Instance,
            TimeProvider.System);

        for (var caller = 0; caller < 3; caller++)
        {
            using var stopWaiting = new CancellationTokenSource();
            var waiting = pool.GetAsync(silo, stopWaiting.Token);
            if (caller == 0)
            {
                accepted.Add(await peer.AcceptSocketAsync());
            }

            await stopWaiting.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }

        // One connect served all three callers: no second socket reached the peer.
        using var noSecond = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => accepted.Add(await peer.AcceptSocketAsync(noSecond.Token)));
        Assert.Single(accepted);
        accepted.ForEach(socket => socket.Dispose());
    }

    /// <summary>
    /// A disposed pool (its process stopping) opens no connection: a call retried after the stop would otherwise open
    /// one that nothing closes.
    /// </summary>
    [Fact]
    public async Task A_disposed_pool_opens_no_connection()
    {
        using var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        var silo = new SiloAddress("127.0.0.1", ((IPEndPoint)peer.LocalEndpoint).Port, 1);
        var pool = new ConnectionPool(
            Options.Create(new TransportOptions()),
            Options.Create(new MembershipOptions()),
            new SiloNetworkFaults(),
            NullLoggerFactory.Instance,
            TimeProvider.System);
        await pool.DisposeAsync();

        await Assert.ThrowsAsync<SiloUnavailableException>(() => pool.GetAsync(silo, CancellationToken.None));

        Assert.False(peer.Pending());
    }
}
