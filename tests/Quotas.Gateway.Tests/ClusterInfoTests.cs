using Grains.Cluster;
using Grains.Testing;
using Microsoft.Extensions.Logging;

namespace Quotas.Gateway.Tests;

public sealed class ClusterInfoTests
{
    [Fact]
    public async Task A_membership_table_that_cannot_be_read_is_logged_and_the_silos_come_from_the_clients_last_view()
    {
        await using var server = await GatewayServer.StartAsync(Backend.PostgreSqlCluster);
        var client = server.ClusterClient!;
        using var logs = new InMemoryLoggerProvider(LogLevel.Warning);
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var info = new ClusterInfo(null, client.Client, new UnreadableTable(), factory.CreateLogger<ClusterInfo>());

        var silos = await info.SilosAsync(CancellationToken.None);

        Assert.Equal(server.Cluster.Silos.Select(s => s.Silo.Cluster!.Address.ToString()).Order(), silos.Select(s => s.Address));
        Assert.All(silos, s => Assert.Equal("Active", s.Status));
        var warning = Assert.Single(logs.Entries);
        Assert.Contains("unreachable-table", warning.Message, StringComparison.Ordinal);
        Assert.IsType<TimeoutException>(warning.Exception);
    }

    /// <summary>A table whose reads fail as an unreachable database's would; the route uses nothing else.</summary>
    private sealed class UnreadableTable : IMembershipTable
    {
        public string Target => "unreachable-table";

        public Task<MembershipSnapshot> ReadAsync(CancellationToken cancellationToken) =>
            Task.FromException<MembershipSnapshot>(new TimeoutException("The database did not answer."));

        public Task InitializeAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> TryInsertAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> TryUpdateAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset time, int activations, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<int> CleanupDefunctAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task ListenAsync(Action<long> onChange, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
