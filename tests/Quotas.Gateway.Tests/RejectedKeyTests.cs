using System.Net;
using Grains.Testing;
using Quotas.Gateway.Auth;

namespace Quotas.Gateway.Tests;

/// <summary>
/// A client address that keeps sending made-up keys (each costs a grain activation and a storage read) gets its new
/// keys refused unchecked for the rest of a minute, while keys that worked on this gateway and the admin key still work.
/// </summary>
public sealed class RejectedKeyTests
{
    private const string MadeUp = "qk_00000000000000aa_not-a-secret";

    [Fact]
    public async Task After_the_bound_new_keys_get_429_until_the_minute_ends_and_known_keys_keep_working()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T00:00:00Z"));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o => o.MaxRejectedKeysPerMinute = 3, gatewayTime: time);
        using var admin = server.Admin();
        var known = await admin.CreateTenantWithKey("acme");
        var unused = await admin.CreateTenantWithKey("other");
        using var knownClient = server.Client(known);
        using var unusedClient = server.Client(unused);
        using var forger = server.Client(MadeUp);
        await (await knownClient.GetAsync("/v1/tenants/acme/limits")).Ok();

        for (var i = 0; i < 3; i++)
        {
            await (await forger.GetAsync("/v1/tenants/acme/limits")).Problem(401, "unauthorized");
        }

        time.Advance(TimeSpan.FromSeconds(20));
        var refused = await forger.GetAsync("/v1/tenants/acme/limits");
        var problem = await refused.Problem(429, "too_many_rejected_keys");
        await (await unusedClient.GetAsync("/v1/tenants/other/limits")).Problem(429, "too_many_rejected_keys");
        // The known key's cached verification has expired: it is checked with its grain again, and works.
        await (await knownClient.GetAsync("/v1/tenants/acme/limits")).Ok();
        await (await admin.GetAsync("/v1/tenants/acme")).Ok();

        Assert.Equal("40", refused.Headers.GetValues("Retry-After").Single());
        Assert.Equal("https://quotas.dev/problems/too-many-rejected-keys", (string?)problem["type"]);

        time.Advance(TimeSpan.FromSeconds(40));
        await (await unusedClient.GetAsync("/v1/tenants/other/limits")).Ok();
        await (await forger.GetAsync("/v1/tenants/acme/limits")).Problem(401, "unauthorized");

        var metrics = await (await admin.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("quotas_gateway_api_keys_rejected_total{checked=\"true\"} 4", metrics);
        Assert.Contains("quotas_gateway_api_keys_rejected_total{checked=\"false\"} 2", metrics);
    }

    [Fact]
    public void Addresses_are_counted_by_host_for_IPv4_and_by_64_bit_prefix_for_IPv6()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T00:00:00Z"));
        var limiter = new RejectedKeyLimiter(new GatewayOptions { MaxRejectedKeysPerMinute = 2 }, time);
        limiter.Reject(IPAddress.Parse("203.0.113.7"));
        limiter.Reject(IPAddress.Parse("::ffff:203.0.113.7"));
        limiter.Reject(IPAddress.Parse("2001:db8:1:2::1"));
        limiter.Reject(IPAddress.Parse("2001:db8:1:2:ffff::9"));
        limiter.Reject(null);
        limiter.Reject(null);

        Assert.Equal(TimeSpan.FromMinutes(1), limiter.RefusesFor(IPAddress.Parse("203.0.113.7")));
        Assert.Null(limiter.RefusesFor(IPAddress.Parse("203.0.113.8")));
        Assert.Equal(TimeSpan.FromMinutes(1), limiter.RefusesFor(IPAddress.Parse("2001:db8:1:2:abcd::1")));
        Assert.Null(limiter.RefusesFor(IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Null(limiter.RefusesFor(null));
        Assert.Equal(6, limiter.Rejected);
        Assert.Equal(2, limiter.RefusedUnchecked);
    }

    [Fact]
    public void A_bound_of_zero_refuses_nothing()
    {
        var limiter = new RejectedKeyLimiter(new GatewayOptions { MaxRejectedKeysPerMinute = 0 }, TimeProvider.System);
        var address = IPAddress.Parse("203.0.113.7");
        for (var i = 0; i < 100; i++)
        {
            limiter.Reject(address);
        }

        Assert.Null(limiter.RefusesFor(address));
        Assert.Equal(100, limiter.Rejected);
    }
}
