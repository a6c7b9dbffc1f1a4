namespace Quotas.Gateway.Tests;

public sealed class AdminKeyTests
{
    /// <summary>The longest admin key the settings accept works: its bearer header is still read.</summary>
    [Fact]
    public async Task The_longest_admin_key_the_settings_accept_is_accepted_by_the_gateway()
    {
        var longest = new string('k', GatewayOptions.MaxAdminKeyLength);
        Assert.Empty(new GatewayOptions { AdminKey = longest }.Validate());
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o => o.AdminKey = longest);
        using var admin = server.Client(longest);

        await (await admin.GetAsync("/v1/tenants")).Ok();
    }
}
