using System.Net;
using System.Text;
using Quotas.Client;

namespace Quotas.Gateway.Tests.Sdk;

/// <summary>An SDK against a newer server: names it does not know read as <c>Unknown</c> instead of failing the answer.</summary>
public sealed class SdkForwardCompatibilityTests
{
    private const string Page = """
        {"items":[
          {"id":1,"tenant":"acme","demand":{"cpu":1},"priority":0,"idempotencyKey":"a","state":"queued","submittedAt":"2026-01-01T00:00:00Z","enqueuedAt":"2026-01-01T00:00:00Z","attempts":0},
          {"id":2,"tenant":"acme","demand":{"cpu":1},"priority":0,"idempotencyKey":"b","state":"paused","submittedAt":"2026-01-01T00:00:00Z","enqueuedAt":"2026-01-01T00:00:00Z","attempts":0}],
         "nextCursor":null}
        """;

    [Fact]
    public async Task A_job_state_this_sdk_does_not_know_reads_as_unknown_and_the_list_goes_on()
    {
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Page, Encoding.UTF8, "application/json") });

        var jobs = await Client(handler).Jobs.ListAsync("acme", "pool").ToListAsync();

        Assert.Equal([JobState.Queued, JobState.Unknown], jobs.Select(j => j.State));
    }

    [Fact]
    public async Task Unknown_is_never_sent()
    {
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK));
        var client = Client(handler);

        var listing = Assert.Throws<ArgumentException>(() => client.Pools.ListJobsAsync("pool", JobState.Unknown));
        var creating = await Assert.ThrowsAnyAsync<Exception>(() => client.Tenants.CreateAsync(new NewTenant("acme", Tier: Tier.Unknown)));

        Assert.Equal("state", listing.ParamName);
        Assert.Contains("Tier.Unknown", creating.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Attempts);
    }

    private static QuotasClient Client(RecordingHandler handler) =>
        new(new HttpClient(handler), new QuotasClientOptions { BaseAddress = new Uri("http://quotas.test"), ApiKey = "qk_0123456789abcdef_secret", MaxRetries = 0 });
}
