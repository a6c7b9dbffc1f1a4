using System.Net.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Quotas.Gateway.Tests;

public sealed class IsolationTests
{
    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Every_tenant_scoped_route_called_with_another_tenants_key_answers_like_a_missing_tenant_and_reveals_nothing(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        await admin.CreateTenantWithKey("victim", """[{"name":"cpu","kind":"gauge","limit":10}]""");
        using var intruder = server.Client(await admin.CreateTenantWithKey("intruder"));
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);
        using var victim = server.Client(await admin.CreateTenantWithKey("victim-2"));
        await (await victim.PostJson("/v1/tenants/victim-2/pools/pool-a/jobs", """{"demand":{"cpu":100}}""", "job-1")).Ok(201);

        var routes = TenantRoutes(server).ToList();
        Assert.True(routes.Count >= 15, $"Expected every tenant-scoped route, found {routes.Count}.");
        foreach (var (method, template, adminOnly) in routes)
        {
            foreach (var victimId in new[] { "victim", "victim-2", "no-such-tenant" })
            {
                var path = template.Replace("{tenantId}", victimId).Replace("{poolId}", "pool-a").Replace("{jobId:long}", "1")
                    .Replace("{leaseId}", "lease-1").Replace("{quota}", "cpu").Replace("{keyId}", "0123456789abcdef");
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) };
                var response = await intruder.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();

                Assert.True((int)response.StatusCode == (adminOnly ? 403 : 404), $"{method} {path} answered {(int)response.StatusCode}: {body}");
                Assert.DoesNotContain("cpu\":", body);
                Assert.DoesNotContain("\"items\"", body);
                if (!adminOnly)
                {
                    Assert.Contains("\"code\":\"not_found\"", body);
                }
            }
        }
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Admin_routes_refuse_tenant_keys_and_every_route_refuses_missing_or_wrong_keys(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme"));
        using var anonymous = server.Client(null);
        using var wrong = server.Client("qk_0123456789abcdef_not-the-secret");
        using var garbage = server.Client("nonsense");

        await (await tenant.GetAsync("/v1/tenants")).Problem(403, "forbidden");
        await (await tenant.PostJson("/v1/pools", """{"id":"p","capacity":{"cpu":1}}""")).Problem(403, "forbidden");
        await (await tenant.PostAsync("/v1/tenants/acme/api-keys", null)).Problem(403, "forbidden");
        await (await tenant.GetAsync("/v1/cluster/silos")).Problem(403, "forbidden");
        foreach (var client in new[] { anonymous, wrong, garbage })
        {
            await (await client.GetAsync("/v1/tenants/acme")).Problem(401, "unauthorized");
            await (await client.GetAsync("/v1/tenants")).Problem(401, "unauthorized");
        }

        // RFC 9110 asks every 401 for a challenge; RFC 6750 adds invalid_token when a key was sent but is not valid.
        Assert.Equal("Bearer", await Challenge(anonymous));
        Assert.Equal("Bearer error=\"invalid_token\"", await Challenge(wrong));
        Assert.Equal("Bearer error=\"invalid_token\"", await Challenge(garbage));

        await (await tenant.GetAsync("/v1/tenants/acme")).Ok();
    }

    [Fact]
    public async Task Deleting_a_tenant_revokes_its_keys_so_a_new_tenant_with_the_same_id_is_not_reached_by_them()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var old = server.Client(await admin.CreateTenantWithKey("acme"));
        await (await old.GetAsync("/v1/tenants/acme")).Ok();

        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();
        await (await admin.DeleteAsync("/v1/tenants/acme")).Ok(204);
        await (await admin.PostJson("/v1/tenants", """{"id":"acme","name":"new owner"}""")).Ok(201);

        await (await old.GetAsync("/v1/tenants/acme")).Problem(401, "unauthorized");
        var issued = await (await admin.PostAsync("/v1/tenants/acme/api-keys", null)).Ok(201);
        using var current = server.Client((string)issued["key"]!);
        await (await current.GetAsync("/v1/tenants/acme")).Ok();
    }

    [Fact]
    public async Task A_revoked_key_stops_working_at_once()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Ok(201);
        var issued = await (await admin.PostAsync("/v1/tenants/acme/api-keys", null)).Ok(201);
        using var tenant = server.Client((string)issued["key"]!);
        await (await tenant.GetAsync("/v1/tenants/acme")).Ok();

        await (await admin.DeleteAsync($"/v1/tenants/acme/api-keys/{issued["keyId"]}")).Ok(204);

        await (await tenant.GetAsync("/v1/tenants/acme")).Problem(401, "unauthorized");
        await (await admin.DeleteAsync($"/v1/tenants/acme/api-keys/{issued["keyId"]}")).Problem(404);
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_tenants_keys_are_listed_to_the_admin_in_id_order_revoked_ones_marked_and_never_their_text(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Ok(201);
        await (await admin.PostJson("/v1/tenants", """{"id":"globex"}""")).Ok(201);
        var issued = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            issued.Add((string)(await (await admin.PostAsync("/v1/tenants/acme/api-keys", null)).Ok(201))["keyId"]!);
        }

        await (await admin.PostAsync("/v1/tenants/globex/api-keys", null)).Ok(201);
        issued.Sort(StringComparer.Ordinal);
        await (await admin.DeleteAsync($"/v1/tenants/acme/api-keys/{issued[1]}")).Ok(204);

        var firstPage = await admin.GetAsync("/v1/tenants/acme/api-keys?limit=2");
        var first = await firstPage.Ok();
        Assert.Contains("rel=\"next\"", firstPage.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        var second = await (await admin.GetAsync($"/v1/tenants/acme/api-keys?limit=2&cursor={first["nextCursor"]}")).Ok();
        var listed = first["items"]!.AsArray().Concat(second["items"]!.AsArray()).ToList();

        Assert.Equal(issued, listed.Select(k => (string?)k!["keyId"]));
        Assert.All(listed, k => Assert.Equal("acme", (string?)k!["tenantId"]));
        Assert.All(listed, k => Assert.Null(k!["key"]));
        Assert.Equal([false, true, false], listed.Select(k => k!["revokedAt"] is not null));
        Assert.Null((string?)second["nextCursor"]);

        await (await admin.GetAsync("/v1/tenants/nobody/api-keys")).Problem(404);
        using var tenant = server.Client((string)(await (await admin.PostAsync("/v1/tenants/globex/api-keys", null)).Ok(201))["key"]!);
        await (await tenant.GetAsync("/v1/tenants/globex/api-keys")).Problem(403, "forbidden");
        await (await tenant.GetAsync("/v1/tenants/acme/api-keys")).Problem(403, "forbidden");

        // A tenant deleted and created again under its id starts with no keys.
        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();
        await (await admin.DeleteAsync("/v1/tenants/acme")).Ok(204);
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Ok(201);
        Assert.Empty((await (await admin.GetAsync("/v1/tenants/acme/api-keys")).Ok())["items"]!.AsArray());
    }

    private static async Task<string> Challenge(HttpClient client)
    {
        using var response = await client.GetAsync("/v1/tenants/acme");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        return string.Join(", ", response.Headers.WwwAuthenticate);
    }

    private static IEnumerable<(string Method, string Template, bool AdminOnly)> TenantRoutes(GatewayServer server)
    {
        foreach (var endpoint in server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var template = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (!template.Contains("{tenantId}", StringComparison.Ordinal))
            {
                continue;
            }

            var adminOnly = template.Contains("/api-keys", StringComparison.Ordinal) || template.EndsWith("/quotas", StringComparison.Ordinal)
                || template.EndsWith("/suspend", StringComparison.Ordinal) || template.EndsWith("/activate", StringComparison.Ordinal);
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                yield return (method, template, adminOnly || (method == "DELETE" && template == "/v1/tenants/{tenantId}")
                    || (method != "GET" && template.EndsWith("/pricing-plan", StringComparison.Ordinal)));
            }
        }
    }
}
