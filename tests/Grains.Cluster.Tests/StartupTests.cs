using Grains.Cluster.TestGrains;
using Grains.Hosting;
using Grains.Testing;

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
    public async Task A_silo_whose_advertised_address_does_not_reach_it_stops_its_start_and_never_joins()
    {
        var options = Clusters.Options(new ActivationLedger(), 1, TestStorage.Sqlite());
        await using var cluster = await TestCluster.StartAsync(options);

        // The silo listens on 127.0.0.1 only; nothing answers on 127.0.0.2.
        options.ConfigureSilo = silo => silo.ConfigureEndpoint(endpoint => endpoint.AdvertisedHost = "127.0.0.2");
        using var misadvertised = TestCluster.BuildSiloHost(options);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => misadvertised.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("cannot reach itself at the address it would advertise, 127.0.0.2:", error.Message, StringComparison.Ordinal);
        Assert.Contains("Grains:Endpoint:AdvertisedHost", error.Message, StringComparison.Ordinal);
        await cluster.PrimarySilo.RefreshMembershipAsync();
        Assert.Equal([cluster.PrimarySilo.Address], cluster.PrimarySilo.Membership.Entries.Select(entry => entry.Silo));
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
