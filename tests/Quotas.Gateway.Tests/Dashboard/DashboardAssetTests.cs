using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Quotas.Gateway.Tests.Dashboard;

/// <summary>What the gateway serves for the dashboard, and that the routes its script calls exist.</summary>
public sealed partial class DashboardAssetTests
{
    [Fact]
    public async Task The_page_its_script_and_style_need_no_key_and_carry_a_strict_content_security_policy()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Address };

        var root = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/dashboard", root.Headers.Location?.ToString());

        var page = await anonymous.GetAsync("/dashboard");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(page.Headers.CacheControl?.NoCache);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("href=\"/dashboard/dashboard.css\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);

        Assert.Contains("<script type=\"module\" src=\"/dashboard/dashboard.js\">", html, StringComparison.Ordinal);
        foreach (var module in new[] { "dashboard.js", "api.js", "sse.js", "view.js" })
        {
            Assert.Equal("text/javascript", (await anonymous.GetAsync("/dashboard/" + module)).Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal("text/css", (await anonymous.GetAsync("/dashboard/dashboard.css")).Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Every_route_the_script_calls_is_a_GET_route_of_the_gateway()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var anonymous = server.Client(null);
        var script = await anonymous.GetStringAsync("/dashboard/api.js");
        var routes = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
            .Select(e => "/" + e.RoutePattern.RawText!.Trim('/'))
            .ToHashSet(StringComparer.Ordinal);

        var called = ApiPath().Matches(script).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(9, called.Count);
        Assert.All(called, path => Assert.Contains(path, routes));
    }

    [GeneratedRegex("'(/v1/[^'?]*)'")]
    private static partial Regex ApiPath();
}
