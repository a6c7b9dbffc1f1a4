using System.Globalization;
using Grains.Testing;

namespace Quotas.Host.Tests;

/// <summary>
/// The cluster as docker-compose.yml and deploy/kubernetes/quotas.yaml describe it. No Docker engine or Kubernetes runs
/// here, so a silo and a gateway are started as processes with the environments those files give them; only what
/// belongs to the machine is replaced: the silo's advertised address, the database, the HTTP and silo ports, and the
/// service and cluster ids (the run's own, so that no other test's silos join).
/// </summary>
public sealed class DeploymentTopologyTests : IDisposable
{
    private const string AdminKey = "deployment-topology-admin-key-0123456789";

    private readonly string _directory = Directory.CreateTempSubdirectory("quotas-host-deployment-").FullName;

    /// <summary>
    /// The compose file's database, with its default superuser password, is reachable from this machine only: Docker
    /// publishes a port on every interface otherwise, past the host's firewall. Only the gateways face the network.
    /// </summary>
    [Fact]
    public void The_compose_files_database_is_published_on_the_loopback_address_only()
    {
        var ports = DeploymentFiles.ComposePorts();

        Assert.NotEmpty(ports["postgres"]);
        Assert.All(ports["postgres"], port => Assert.StartsWith("127.0.0.1:", port, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_silo_and_a_gateway_with_the_compose_files_environments_serve_a_tenant()
    {
        var services = DeploymentFiles.ComposeServices(new Dictionary<string, string> { ["QUOTAS_ADMIN_KEY"] = AdminKey });
        var cluster = services.Where(s => s.Key is not ("postgres" or "create-database")).ToList();
        var silos = cluster.Where(s => s.Value.GetValueOrDefault("Quotas__Role") == "Silo").ToList();
        var gateways = cluster.Where(s => s.Value.GetValueOrDefault("Quotas__Role") == "Gateway").ToList();

        // Every other service is a silo or a gateway; each silo advertises its own service name, where the others reach
        // it; and every process joins one cluster on one database.
        Assert.Equal(cluster.Count, silos.Count + gateways.Count);
        Assert.True(silos.Count >= 2, $"{DeploymentFiles.ComposeFile} should run more than one silo.");
        Assert.NotEmpty(gateways);
        Assert.All(silos, silo => Assert.Equal(silo.Key, silo.Value["Grains__Endpoint__AdvertisedHost"]));
        Assert.Single(cluster.Select(s => s.Value["Grains__Membership__ClusterId"]).Distinct());
        Assert.Single(cluster.Select(s => s.Value["Quotas__PostgreSqlConnectionString"]).Distinct());

        await AssertTheyServeATenantAsync(
            silos[0].Value,
            gateways[0].Value,
            ["--Quotas:PostgreSqlConnectionString", TestDatabases.PostgreSqlConnectionString],
            siloAddress: ["--Grains:Endpoint:AdvertisedHost", "127.0.0.1"]);
    }

    [Fact]
    public async Task A_silo_and_a_gateway_with_the_kubernetes_environments_serve_a_tenant()
    {
        static string Resolve(string reference) => reference switch
        {
            "secret quotas/postgres-connection-string" => TestDatabases.PostgreSqlConnectionString,
            "secret quotas/admin-key" => AdminKey,
            "field status.podIP" => "127.0.0.1",
            _ => throw new InvalidOperationException($"{DeploymentFiles.KubernetesFile} refers to {reference}, which the test does not supply."),
        };

        var silo = DeploymentFiles.KubernetesEnvironment("quotas-silo", Resolve);
        var gateway = DeploymentFiles.KubernetesEnvironment("quotas-gateway", Resolve);

        Assert.Equal(silo["Grains__Membership__ClusterId"], gateway["Grains__Membership__ClusterId"]);
        await AssertTheyServeATenantAsync(silo, gateway, [], siloAddress: []);
    }

    /// <summary>
    /// <paramref name="machine"/> and <paramref name="siloAddress"/> replace what belongs to a container's network; the
    /// silo's HTTP address (Quotas:HttpUrl, a free loopback port) and its silo port are replaced too.
    /// </summary>
    private async Task AssertTheyServeATenantAsync(
        IReadOnlyDictionary<string, string> siloEnvironment, IReadOnlyDictionary<string, string> gatewayEnvironment, string[] machine, string[] siloAddress)
    {
        // A cluster and service id of the run's own (the files' own were compared above), so no other test's silos join.
        var cluster = TestDatabases.NewServiceId();
        string[] shared = ["--Grains:ServiceId", cluster, "--Grains:Membership:ClusterId", cluster, .. machine];
        var siloPort = HostProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        await using var silo = await HostProcess.StartAsync(_directory, siloEnvironment, [.. shared, .. siloAddress, "--Grains:Endpoint:Port", siloPort]);
        await using var gateway = await HostProcess.StartAsync(_directory, gatewayEnvironment, shared);
        gateway.Http.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);

        await ClusterServing.AssertServesATenantAsync(gateway, siloPort);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
