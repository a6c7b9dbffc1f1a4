using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quotas.Gateway.Api;

namespace Quotas.Gateway.Tests;

/// <summary>The shared options that the gateway's own readers and writers use, against the framework's.</summary>
public sealed class ApiJsonTests
{
    private static JsonSerializerOptions FrameworkOptions()
    {
        var services = new ServiceCollection().AddLogging().AddQuotasGateway(new GatewayOptions { AdminKey = "k" });
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
    }

    [Fact]
    public void The_shared_options_write_the_same_bytes_as_the_framework_s()
    {
        var framework = FrameworkOptions();
        var value = new RateHitResult("requests", 100, 42, 18);

        Assert.Equal(JsonSerializer.Serialize(value, framework), JsonSerializer.Serialize(value, ApiJson.Options));
        Assert.Equal("""{"quota":"requests","limit":100,"remaining":42,"resetSeconds":18}""", JsonSerializer.Serialize(value, ApiJson.Options));
    }

    [Fact]
    public void Answers_write_null_members_and_fingerprints_leave_them_out_as_earlier_releases_did()
    {
        var framework = FrameworkOptions();
        var page = new Page<string>(["a"], null);

        Assert.Equal("""{"items":["a"],"nextCursor":null}""", JsonSerializer.Serialize(page, framework));
        Assert.Equal("""{"items":["a"],"nextCursor":null}""", JsonSerializer.Serialize(page, ApiJson.Options));
        Assert.Equal("""{"items":["a"]}""", JsonSerializer.Serialize(page, ApiJson.FingerprintOptions));
    }

    [Theory]
    [InlineData("""{"cost":"1"}""")]
    [InlineData("""{"cost":null}""")]
    [InlineData("""{"colour":1}""")]
    public void The_shared_options_refuse_what_the_framework_s_refuse(string body)
    {
        var framework = FrameworkOptions();

        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<RateHitRequest>(body, framework));
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<RateHitRequest>(body, ApiJson.Options));
    }
}
