using Quotas.Client;

namespace Quotas.Gateway.Tests;

public sealed class ClusterApiTests
{
    [Fact]
    public async Task The_silos_are_listed_a_page_at_a_time_following_the_Link_header_and_the_SDK_follows_the_cursor()
    {
        await using var server = await GatewayServer.StartAsync(Backend.PostgreSqlCluster);
        using var admin = server.Admin();
        var expected = server.Cluster.Silos.Select(s => s.Silo.Cluster!.Address.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.Count >= 2, "The cluster backend must run at least two silos for a second page.");

        var listed = new List<string>();
        string? next = "/v1/cluster/silos?limit=1";
        while (next is not null)
        {
            using var response = await admin.GetAsync(next);
            var page = await response.Ok();
            listed.Add((string)Assert.Single(page["items"]!.AsArray())!["address"]!);
            next = response.Headers.TryGetValues("Link", out var links) ? LinkTarget(links.Single()) : null;
            // The body's cursor and the header agree: both name the next page, or neither does.
            Assert.Equal(next is null, page["nextCursor"] is null);
            Assert.True(listed.Count <= expected.Count, $"The list kept linking a next page after {listed.Count} silos: {string.Join(", ", listed)}.");
        }

        Assert.Equal(expected, listed);
        using var http = new HttpClient();
        var sdk = new QuotasClient(http, new QuotasClientOptions { BaseAddress = server.Address, ApiKey = GatewayServer.AdminKey });
        Assert.Equal(expected, (await sdk.ListSilosAsync(pageSize: 1).ToListAsync()).Select(s => s.Address));
        await (await admin.GetAsync("/v1/cluster/silos?limit=0")).Problem(400, "invalid_request");
        await (await admin.GetAsync("/v1/cluster/silos?limit=1001")).Problem(400, "invalid_request");
    }

    /// <summary>The address of a <c>Link: &lt;...&gt;; rel="next"</c> header.</summary>
    private static string LinkTarget(string link)
    {
        Assert.EndsWith("; rel=\"next\"", link, StringComparison.Ordinal);
        return link[1..link.IndexOf('>', StringComparison.Ordinal)];
    }
}
