using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quotas.Client;

namespace Quotas.Gateway.Tests.Sdk;

public sealed class SdkRegistrationTests
{
    [Fact]
    public async Task AddQuotasClient_gives_a_typed_client_that_calls_the_gateway()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        var services = new ServiceCollection();
        services.AddQuotasClient(options =>
        {
            options.BaseAddress = server.Address;
            options.ApiKey = GatewayServer.AdminKey;
        });
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<QuotasClient>();

        Assert.Equal("local", Assert.Single(await client.ListSilosAsync().ToListAsync()).Address);
    }

    [Fact]
    public void Invalid_options_fail_validation_with_messages_that_name_each_setting()
    {
        var services = new ServiceCollection();
        services.AddQuotasClient(options =>
        {
            options.BaseAddress = new Uri("ftp://example.com");
            options.MaxRetries = -1;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<QuotasClient>());

        Assert.Contains(error.Failures, f => f.Contains("BaseAddress", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("ApiKey", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxRetries", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://gateway.test/quotas?region=eu")]
    [InlineData("http://gateway.test/quotas#v1")]
    [InlineData("http://user:secret@gateway.test/")]
    public void A_base_address_with_a_query_a_fragment_or_credentials_is_refused(string address)
    {
        var error = Assert.Throws<ArgumentException>(() => new QuotasClient(new HttpClient(), new QuotasClientOptions { BaseAddress = new Uri(address), ApiKey = "key" }));

        Assert.Contains("no query, fragment or user name", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://gateway.test/v1", "http://gateway.test")]
    [InlineData("http://gateway.test/quotas/V1/", "http://gateway.test/quotas")]
    [InlineData("https://gateway.test/quotas/v1", "https://gateway.test/quotas")]
    public void A_base_address_ending_in_the_version_the_sdk_adds_is_refused_with_the_address_to_use(string address, string instead)
    {
        var error = Assert.Throws<ArgumentException>(() => new QuotasClient(new HttpClient(), new QuotasClientOptions { BaseAddress = new Uri(address), ApiKey = "key" }));

        Assert.Contains($"ends in /v1, which the SDK adds itself; give the gateway's address without it, e.g. {instead}.", error.Message, StringComparison.Ordinal);
        _ = new QuotasClient(new HttpClient(), new QuotasClientOptions { BaseAddress = new Uri("http://gateway.test/v1-eu/"), ApiKey = "key" });
    }

    [Fact]
    public void A_client_built_by_hand_checks_its_options_and_its_arguments()
    {
        var error = Assert.Throws<ArgumentException>(() => new QuotasClient(new HttpClient(), new QuotasClientOptions { BaseAddress = new Uri("http://localhost:5000") }));
        Assert.Contains("ApiKey", error.Message, StringComparison.Ordinal);

        var client = new QuotasClient(new HttpClient(), new QuotasClientOptions { BaseAddress = new Uri("http://localhost:5000"), ApiKey = "key" });
        Assert.Throws<ArgumentException>(() => { _ = client.Tenants.GetAsync(" "); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.Admission.AcquireLeaseAsync("acme", "cpu", 1, TimeSpan.Zero); });
    }
}
