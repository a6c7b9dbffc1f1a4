using System.Net;
using System.Net.Sockets;
using Grains.Cluster;
using Grains.Hosting;
using Grains.Runtime.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Runtime.Tests;

/// <summary>A call that found no silo to take it is tried again after a fresh view, but not once its caller gave up.</summary>
public sealed class CallRetryTests
{
    [Fact]
    public async Task A_call_whose_deadline_passes_while_membership_is_read_is_not_sent_when_the_read_ends()
    {
        // The silo the table names once its read ends: it accepts sockets, so a call routed to it would show.
        using var silo = new TcpListener(IPAddress.Loopback, 0);
        silo.Start();
        var address = new SiloAddress("127.0.0.1", ((IPEndPoint)silo.LocalEndpoint).Port, 1);
        var now = DateTimeOffset.UtcNow;
        var table = new HeldTable { Entries = [new MembershipEntry(address, "late", MembershipStatus.Active, now, now, [])] };
        var services = new ServiceCollection().AddLogging();
        services.AddGrainsClient(client => client.UseClustering(_ => table).AddApplicationPart(typeof(ICounterGrain).Assembly));
        services.Configure<GrainsOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(1));
        await using var provider = services.BuildServiceProvider();

        // The client has no view yet (it is not started): the call waits for a read of the table, which hangs past the
        // call's deadline. The caller learns it then: timed out, or no silo to take the call, whichever comes first.
        var call = provider.GetRequiredService<IGrainFactory>().GetGrain<ICounterGrain>("late").Increment(1);
        await table.FirstReadStarted.Task;
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => call);
        Assert.True(failure is GrainCallTimeoutException or SiloUnavailableException, failure.ToString());

        // The read ends and names a silo: the call, whose caller gave up, is not sent there.
        table.ReleaseFirstRead.SetResult();
        using var noConnection = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => (await silo.AcceptSocketAsync(noConnection.Token)).Dispose());
    }
}
