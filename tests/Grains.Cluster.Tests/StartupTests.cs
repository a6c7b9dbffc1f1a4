using Grains.Cluster.TestGrains;
using System.Net;
using System.Net.Sockets;
using Grains.Hosting;
using Grains.Testing;
using Grains.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Grains.Cluster.Tests;

public sealed class StartupTests
{
    [Fact]
    public async Task Membership_database_that_is_down_stops_the_start_with_an_error_naming_the_target()
    {
        var options = Clusters.Options(new ActivationLedger(), 1, TestStorage.Sqlite());
        options.Membership = TestStorage.PostgreSql("Host=127.0.0.1;Port=1;Username=postgres;Password=postgres;Database=grains_test;Timeout=5");
        using var host = TestCluster.BuildSiloHost(options);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("membership table at PostgreSQL at 127.0.0.1:1, database 'grains_test'", error.Message);
    }

    [Fact]
    public async Task A_silo_whose_advertised_address_reaches_another_process_stops_its_start_and_never_joins()
    {
        var options = Clusters.Options(new ActivationLedger(), 1, TestStorage.Sqlite());
        await using var cluster = await TestCluster.StartAsync(options);

        // The silo listens on 127.0.0.1 only; on 127.0.0.2 at its port, something that is not a silo answers.
        var port = FreePort();
        using var other = new TcpListener(IPAddress.Parse("127.0.0.2"), port);
        other.Start();
        var answering = AnswerWithHttpAsync(other);
        options.ConfigureSilo = silo => silo.ConfigureEndpoint(endpoint => endpoint.AdvertisedHost = "127.0.0.2");
        options.ConfigureServices += services => services.PostConfigure<TransportOptions>(endpoint => endpoint.Port = port);
        using var misadvertised = TestCluster.BuildSiloHost(options);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => misadvertised.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains($"reaches another process at the address it would advertise, 127.0.0.2:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Grains:Endpoint:AdvertisedHost", error.Message, StringComparison.Ordinal);
        await cluster.PrimarySilo.RefreshMembershipAsync();
        Assert.Equal([cluster.PrimarySilo.Address], cluster.PrimarySilo.Membership.Entries.Select(entry => entry.Silo));
        other.Stop();
        await answering;
    }

    /// <summary>
    /// Nothing answering at the advertised address from the silo's own host may still be right for the others (a load
    /// balancer that does not take a host's connections back to itself): the silo says so in its log and joins.
    /// </summary>
    [Fact]
    public async Task A_silo_that_cannot_connect_to_its_advertised_address_warns_and_joins()
    {
        var logs = new InMemoryLoggerProvider(LogLevel.Warning);
        var options = Clusters.Options(new ActivationLedger(), 1, TestStorage.Sqlite());
        options.ConfigureLogging = logging => logging.AddProvider(logs);
        options.ConfigureSilo = silo => silo.ConfigureEndpoint(endpoint => endpoint.AdvertisedHost = "127.0.0.2"); // nothing listens there

        await using var cluster = await TestCluster.StartAsync(options);

        var warning = await logs.WaitForAsync(entry => entry.EventId.Id == 223);
        Assert.Contains($"could not connect to the address it advertises, 127.0.0.2:{cluster.PrimarySilo.Address.Port}", warning.Message, StringComparison.Ordinal);
        Assert.Equal(MembershipStatus.Active, cluster.PrimarySilo.Membership.StatusOf(cluster.PrimarySilo.Address));
    }

    /// <summary>
    /// A silo whose process died unseen and restarted on the same address (a container restarted in place) declares its
    /// earlier life dead as it joins: that row answers nothing any more, and until voted dead (here never: failure
    /// detection is off) the calls placed on it were refused by the new process.
    /// </summary>
    [Fact]
    public async Task A_silo_restarted_on_its_address_declares_its_earlier_life_dead_as_it_joins()
    {
        var logs = new InMemoryLoggerProvider(LogLevel.Warning);
        var options = Clusters.Options(new ActivationLedger(), 1, TestStorage.Sqlite());
        options.ConfigureLogging = logging => logging.AddProvider(logs);
        options.ConfigureMembership = membership => membership.MissedProbesLimit = int.MaxValue;
        int? port = null;
        options.ConfigureServices += services => services.PostConfigure<TransportOptions>(endpoint => endpoint.Port = port ?? endpoint.Port);
        await using var cluster = await TestCluster.StartAsync(options);
        port = FreePort();
        var first = await cluster.StartAdditionalSiloAsync();
        var earlier = first.Address;
        await cluster.KillSiloAsync(first); // its row stays Active: nothing tells the others

        var again = await cluster.StartAdditionalSiloAsync();

        Assert.Equal((earlier.Host, earlier.Port), (again.Address.Host, again.Address.Port));
        await cluster.PrimarySilo.RefreshMembershipAsync();
        Assert.Equal(MembershipStatus.Dead, cluster.PrimarySilo.Membership.StatusOf(earlier));
        Assert.Equal(MembershipStatus.Active, cluster.PrimarySilo.Membership.StatusOf(again.Address));
        Assert.Equal(MembershipStatus.Active, cluster.PrimarySilo.Membership.StatusOf(cluster.PrimarySilo.Address));
        Assert.Contains(logs.Entries, entry => entry.EventId.Id == 224);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Answers each connection as a web server would answer what it cannot read, until stopped.</summary>
    private static async Task AnswerWithHttpAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                await stream.ReadExactlyAsync(new byte[4]); // the caller's first bytes: it has begun to speak
                await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or IOException)
        {
            // Stopped.
        }
    }

    [Fact]
    public async Task Invalid_membership_settings_are_refused_at_start_with_the_setting_named()
    {
        var options = Clusters.Options(new ActivationLedger(), 1);
        options.ConfigureMembership = membership => membership.ProbeInterval = TimeSpan.Zero;
        using var host = TestCluster.BuildSiloHost(options);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("Grains:Membership:ProbeInterval", error.Message);
    }
}
