using System.Text.Json.Nodes;

namespace Quotas.Gateway.Tests;

public sealed class OpenApiTests
{
    /// <summary>Set to 1 to write the served document over the committed one after an intended API change; review the diff.</summary>
    private const string AcceptVariable = "QUOTAS_ACCEPT_OPENAPI";

    [Fact]
    public async Task The_served_openapi_document_matches_the_committed_one()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var anonymous = server.Client(null);

        var served = JsonNode.Parse(await (await anonymous.GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync())!;
        var text = served.ToJsonString(new() { WriteIndented = true }) + "\n";
        var committedPath = Path.Combine(AppContext.BaseDirectory, "openapi-v1.json");
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            await File.WriteAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "openapi", "v1.json"), text);
            return;
        }

        var committed = await File.ReadAllTextAsync(committedPath);
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(committed), served),
            $"The API changed: /openapi/v1.json differs from docs/openapi/v1.json. If the change is intended, run the tests once with {AcceptVariable}=1 and commit the reviewed diff.");
        Assert.Contains("/v1/tenants/{tenantId}/leases", text);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Grains.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Grains.sln not found above the test directory.");
    }
}
