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

    /// <summary>
    /// A client generated from the document can send an Idempotency-Key where one is read (its retries are then safe)
    /// and read the headers a refusal and a page carry: the document declared none of them.
    /// </summary>
    [Fact]
    public async Task The_document_declares_the_idempotency_key_and_the_refusal_and_paging_headers()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        var document = JsonNode.Parse(await (await server.Client(null).GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync())!;
        var paths = document["paths"]!;

        foreach (var path in new[] { "/v1/tenants/{tenantId}/leases", "/v1/tenants/{tenantId}/usage", "/v1/tenants/{tenantId}/pools/{poolId}/jobs" })
        {
            Assert.Contains(paths[path]!["post"]!["parameters"]!.AsArray(), p => (string?)p!["name"] == "Idempotency-Key" && (string?)p["in"] == "header");
        }

        Assert.NotNull(paths["/v1/tenants/{tenantId}/pools/{poolId}/jobs"]!["post"]!["responses"]!["200"]!["headers"]!["Idempotent-Replayed"]);
        var refusal = paths["/v1/tenants/{tenantId}/rate-limits/{quota}/hits"]!["post"]!["responses"]!["429"]!["headers"]!;
        Assert.Equal("#/components/headers/Retry-After", (string?)refusal["Retry-After"]!["$ref"]);
        Assert.Equal("#/components/headers/RateLimit", (string?)refusal["RateLimit"]!["$ref"]);
        Assert.NotNull(document["components"]!["headers"]!["RateLimit-Policy"]);
        var list = paths["/v1/tenants"]!["get"]!;
        Assert.NotNull(list["responses"]!["200"]!["headers"]!["Link"]);
        var limit = list["parameters"]!.AsArray().Single(p => (string?)p!["name"] == "limit")!["schema"]!;
        Assert.Equal((1, 1000), ((int)limit["minimum"]!, (int)limit["maximum"]!));
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
