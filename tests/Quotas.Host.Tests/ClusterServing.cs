using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Quotas.Host.Tests;

/// <summary>What a cluster of one silo and a gateway, started as processes, must do for a tenant.</summary>
internal static class ClusterServing
{
    /// <summary>
    /// Through the gateway (its admin key set): creates tenant <c>acme</c> with a rate quota of 1 a minute, hits it twice
    /// (200, then 429), and finds the one silo listed, Active, at <c>127.0.0.1:</c><paramref name="siloPort"/>.
    /// </summary>
    public static async Task AssertServesATenantAsync(HostProcess gateway, string siloPort)
    {
        using var created = await gateway.Http.PostAsJsonAsync(new Uri(gateway.Url, "/v1/tenants"), new JsonObject
        {
            ["id"] = "acme",
            ["tier"] = "basic",
            ["quotas"] = new JsonArray(new JsonObject { ["name"] = "requests", ["kind"] = "rate", ["limit"] = 1, ["windowSeconds"] = 60 }),
        });
        using var first = await gateway.Http.PostAsync(new Uri(gateway.Url, "/v1/tenants/acme/rate-limits/requests/hits"), null);
        using var second = await gateway.Http.PostAsync(new Uri(gateway.Url, "/v1/tenants/acme/rate-limits/requests/hits"), null);
        using var silos = await gateway.GetAsync("/v1/cluster/silos");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        var listed = Assert.Single(JsonNode.Parse(await silos.Content.ReadAsStringAsync())!["items"]!.AsArray());
        Assert.StartsWith($"127.0.0.1:{siloPort}@", (string?)listed!["address"]);
        Assert.Equal("Active", (string?)listed["status"]);
    }
}
