using System.Globalization;
using System.Net;
using Grains.Testing;

namespace Quotas.Host.Tests;

/// <summary>The executable's cluster roles as separate processes on PostgreSQL, as deploy/local-cluster.sh runs them.</summary>
public sealed class ClusterRolesTests : IDisposable
{
    private const string AdminKey = "cluster-roles-admin-key-0123456789abcdef";

    private readonly string _directory = Directory.CreateTempSubdirectory("quotas-host-cluster-").FullName;

    [Fact]
    public async Task A_silo_process_and_a_gateway_process_of_a_named_cluster_serve_a_tenant_over_http()
    {
        // A cluster id of its own, given only in configuration: the gateway must read it as the silo does, or it finds
        // no silo of its cluster and never becomes ready.
        var cluster = TestDatabases.NewServiceId();
        var shared = SharedArguments(cluster);
        var siloPort = HostProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        await using var silo = await HostProcess.StartAsync(_directory, [.. shared, "--Quotas:Role", "Silo", "--Grains:Endpoint:Port", siloPort]);
        await using var gateway = await HostProcess.StartAsync(_directory, [.. shared, "--Quotas:Role", "Gateway", "--Quotas:ShutdownDelay", "00:02:00"]);
        gateway.Http.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);

        await ClusterServing.AssertServesATenantAsync(gateway, siloPort);
        using var siloReady = await silo.GetAsync("/health/ready");
        using var gatewayReady = await gateway.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, siloReady.StatusCode);
        Assert.Equal(HttpStatusCode.OK, gatewayReady.StatusCode);

        // A gateway told to stop says it is not ready and still serves through the silos until its delay ends.
        await gateway.TerminateAsync();
        await gateway.WaitForLineAsync("Draining:", TimeSpan.FromSeconds(30));
        using var drainingReady = await gateway.GetAsync("/health/ready");
        using var drainingRead = await gateway.GetAsync("/v1/tenants/acme");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, drainingReady.StatusCode);
        Assert.Equal(HttpStatusCode.OK, drainingRead.StatusCode);
    }

    [Fact]
    public async Task A_gateway_whose_only_silo_died_is_not_ready()
    {
        var cluster = TestDatabases.NewServiceId();
        var shared = SharedArguments(cluster);
        var silo = await HostProcess.StartAsync(_directory, [.. shared, "--Quotas:Role", "Silo", "--Grains:Endpoint:Port", HostProcess.FreePort().ToString(CultureInfo.InvariantCulture)]);
        await using var gateway = await HostProcess.StartAsync(_directory, [.. shared, "--Quotas:Role", "Gateway"]);
        using (var ready = await gateway.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // Killed: no silo is left to vote it dead, so its row still says Active.
        await silo.DisposeAsync();
        using var notReady = await gateway.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Contains("no Active silo could be reached", await notReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_the_cluster_declares_dead_stops_at_once_without_its_drain()
    {
        var cluster = TestDatabases.NewServiceId();
        var siloPort = HostProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        await using var host = await HostProcess.StartAsync(
            _directory, [.. SharedArguments(cluster), "--Quotas:Role", "Both", "--Grains:Endpoint:Port", siloPort, "--Quotas:ShutdownDelay", "00:05:00"]);

        // As the other silos write it when their votes reach the quorum; the new version makes every silo read the rows.
        await using (var connection = new Npgsql.NpgsqlConnection(TestDatabases.PostgreSqlConnectionString))
        {
            await connection.OpenAsync();
            await using var declare = connection.CreateCommand();
            declare.CommandText =
                "UPDATE grains_membership SET status = 4, etag = etag + 1 WHERE cluster_id = @cluster; " +
                "UPDATE grains_membership_version SET version = version + 1 WHERE cluster_id = @cluster;";
            declare.Parameters.AddWithValue("cluster", cluster);
            Assert.Equal(2, await declare.ExecuteNonQueryAsync());
        }

        // Well within the five minutes a drain would have taken.
        await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Contains("Not draining", host.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Draining:", host.Output, StringComparison.Ordinal);
    }

    /// <summary>What every process of one cluster is given: its storage, its cluster id and the admin key.</summary>
    private static string[] SharedArguments(string cluster) =>
    [
        "--Quotas:Storage", "PostgreSql",
        "--Quotas:PostgreSqlConnectionString", TestDatabases.PostgreSqlConnectionString,
        "--Grains:ServiceId", cluster,
        "--Grains:Membership:ClusterId", cluster,
        "--Quotas:Gateway:AdminKey", AdminKey,
        "--Quotas:SeedDemoTenants", "false",
    ];

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
