using System.Net;
using Quotas.Client;

namespace Quotas.Gateway.Tests.Sdk;

/// <summary>Ids the caller gives become path segments: none may move the request to another route.</summary>
public sealed class SdkPathTests
{
    private readonly RecordingHandler _handler = new((_, _) => new HttpResponseMessage(HttpStatusCode.NoContent));

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task A_dot_segment_id_is_refused_before_anything_is_sent(string id)
    {
        var client = Client();

        // Sent as is, ".." would resolve away: revoking key ".." of t-victim would DELETE /v1/tenants/t-victim/.
        await Refused("keyId", () => client.Tenants.RevokeApiKeyAsync("t-victim", id));
        await Refused("tenantId", () => client.Tenants.DeleteAsync(id));
        await Refused("poolId", () => client.Pools.DeleteAsync(id));
        await Refused("leaseId", () => client.Admission.ReleaseLeaseAsync("acme", id));
        await Refused("workerId", () => client.Workers.HeartbeatAsync("pool", id, [], TimeSpan.FromSeconds(30)));

        Assert.Empty(_handler.Attempts);
    }

    [Fact]
    public async Task Dots_within_an_id_are_sent_as_part_of_the_segment()
    {
        var client = Client();

        await client.Pools.DeleteAsync("...");
        await client.Pools.DeleteAsync("gpu.v2");

        Assert.Equal(["/v1/pools/...", "/v1/pools/gpu.v2"], _handler.Attempts.Select(a => a.Path));
    }

    private QuotasClient Client() => new(new HttpClient(_handler), new QuotasClientOptions
    {
        BaseAddress = new Uri("http://quotas.test"),
        ApiKey = "qk_0123456789abcdef_secret",
    });

    private static async Task Refused(string parameter, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(call);
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains("'.' and '..'", error.Message, StringComparison.Ordinal);
    }
}
