using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Quotas.Gateway.Metrics;

namespace Quotas.Gateway.Tests.Metrics;

public sealed class MetricsEndpointTests
{
    private const string Quotas = """[{"name":"requests","kind":"rate","limit":2,"windowSeconds":60,"buckets":6}]""";

    /// <summary>With a scrape key (Quotas:MetricsKey), only a scrape that sends it is answered; others get 401 and the challenge.</summary>
    [Fact]
    public async Task A_scrape_key_keeps_metrics_from_anyone_who_does_not_send_it()
    {
        const string ScrapeKey = "scrape-0123456789abcdef";
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddQuotasMetrics();
        await using var app = builder.Build();
        app.MapQuotasMetrics(ScrapeKey);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        var missing = await http.GetAsync("/metrics");
        await missing.Problem(401, "unauthorized");
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().ToString());
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { "Authorization", "Bearer " + GatewayServer.AdminKey } } };
        var refused = await http.SendAsync(wrong);
        Assert.Contains("not the metrics key", (string?)(await refused.Problem(401, "unauthorized"))["detail"], StringComparison.Ordinal);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { "Authorization", "Bearer " + ScrapeKey } } };
        var scraped = await http.SendAsync(right);
        Assert.Contains("# TYPE ", await scraped.EnsureSuccessStatusCode().Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Metrics_count_requests_by_route_and_status_decisions_activations_and_membership_without_tenant_labels(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        var tenantId = "metrics-" + Guid.NewGuid().ToString("N")[..12];
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey(tenantId, Quotas));
        using var anonymous = server.Client(null);
        var before = Samples.Parse(await Scrape(anonymous));

        for (var i = 0; i < 3; i++)
        {
            await tenant.PostJson($"/v1/tenants/{tenantId}/rate-limits/requests/hits", """{"cost":1}""");
        }

        var text = await Scrape(anonymous);
        var after = Samples.Parse(text);
        const string Hits = "/v1/tenants/{tenantId}/rate-limits/{quota}/hits";

        Assert.Equal(2, Delta(before, after, "http_server_request_duration_seconds_count", $"http_route=\"{Hits}\"", "http_response_status_code=\"200\""));
        Assert.Equal(1, Delta(before, after, "http_server_request_duration_seconds_count", $"http_route=\"{Hits}\"", "http_response_status_code=\"429\""));
        Assert.Equal(1, Delta(before, after, "http_server_request_duration_seconds_bucket", $"http_route=\"{Hits}\"", "http_response_status_code=\"429\"", "le=\"+Inf\""));
        Assert.True(Delta(before, after, "quotas_decisions_total", "kind=\"rate\"", "outcome=\"allowed\"") >= 2);
        Assert.True(Delta(before, after, "quotas_decisions_total", "kind=\"rate\"", "outcome=\"denied\"") >= 1);
        Assert.True(after.Sum("grains_activations", "grain_type=\"tenant\"") >= 1);
        Assert.DoesNotContain(tenantId, text, StringComparison.Ordinal);
        Assert.Empty(server.Services.GetRequiredService<MetricsCollector>().Refused); // no instrument of the service clashes

        if (backend == Backend.PostgreSqlCluster)
        {
            // Each of the two silos reads both as Active.
            Assert.Equal(2, after.Count("grains_membership_silos", "status=\"active\""));
            Assert.All(after.Matching("grains_membership_silos", "status=\"active\""), sample => Assert.Equal(2, sample.Value));

            // A silo's series are named by host and port, not by the generation of its start: a restart keeps them.
            Assert.All(after.Matching("grains_membership_version"), sample => Assert.Matches("^silo=\"127\\.0\\.0\\.1:[0-9]+\"$", sample.Labels));

            // The gateway, a cluster client, reports the membership it routes by: both silos Active.
            var cluster = $"cluster=\"{server.Cluster.Options.ClusterId}\"";
            Assert.Equal(2, Assert.Single(after.Matching("grains_client_membership_silos", cluster, "status=\"active\"")).Value);
            Assert.True(Assert.Single(after.Matching("grains_client_membership_version", cluster)).Value > 0);
        }
    }

    [Fact]
    public async Task Metrics_are_plain_text_in_the_prometheus_format_and_left_out_of_the_api_document()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var anonymous = server.Client(null);

        var response = await anonymous.GetAsync("/metrics");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("# HELP ", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var document = await (await anonymous.GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("/metrics", document, StringComparison.Ordinal);
    }

    private static async Task<string> Scrape(HttpClient http)
    {
        var response = await http.GetAsync("/metrics");
        Assert.True(response.IsSuccessStatusCode, $"/metrics answered {(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync();
    }

    private static double Delta(Samples before, Samples after, string name, params string[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);
}

/// <summary>The samples of a scrape: name, label text and value per line.</summary>
internal sealed class Samples
{
    private readonly List<(string Name, string Labels, double Value)> _samples = [];

    public static Samples Parse(string text)
    {
        var samples = new Samples();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var valueStart = line.LastIndexOf(' ');
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var name = brace >= 0 && brace < valueStart ? line[..brace] : line[..valueStart];
            var labels = brace >= 0 && brace < valueStart ? line[(brace + 1)..line.LastIndexOf('}')] : "";
            var value = line[(valueStart + 1)..] == "+Inf" ? double.PositiveInfinity : double.Parse(line[(valueStart + 1)..], CultureInfo.InvariantCulture);
            samples._samples.Add((name, labels, value));
        }

        return samples;
    }

    public IEnumerable<(string Name, string Labels, double Value)> Matching(string name, params string[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(label => s.Labels.Contains(label, StringComparison.Ordinal)));

    public double Sum(string name, params string[] labels) => Matching(name, labels).Sum(s => s.Value);

    public int Count(string name, params string[] labels) => Matching(name, labels).Count();
}
