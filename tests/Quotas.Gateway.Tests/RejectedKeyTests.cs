using System.Net;
using Grains;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Gateway.Auth;
using Quotas.Gateway.Tests.Metrics;

namespace Quotas.Gateway.Tests;

/// <summary>
/// A client address that keeps sending made-up keys (each costs a grain activation and a storage read) gets its keys
/// refused unchecked for the rest of a minute, except keys whose id this gateway has verified or issued, and the admin key.
/// </summary>
public sealed class RejectedKeyTests
{
    private const string MadeUp = "qk_00000000000000aa_not-a-secret";

    [Fact]
    public async Task After_the_bound_unknown_keys_get_429_until_the_minute_ends_and_known_keys_keep_working()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T00:00:00Z"));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o => o.MaxRejectedKeysPerMinute = 3, gatewayTime: time);
        using var admin = server.Admin();
        var used = await admin.CreateTenantWithKey("acme");
        var issuedHere = await admin.CreateTenantWithKey("other");
        var issuedElsewhere = await RegisterKeyAsync(server.Cluster.GrainFactory, "acme");
        using var usedClient = server.Client(used);
        using var issuedHereClient = server.Client(issuedHere);
        using var elsewhereClient = server.Client(issuedElsewhere);
        using var forger = server.Client(MadeUp);
        await (await usedClient.GetAsync("/v1/tenants/acme/limits")).Ok();

        for (var i = 0; i < 3; i++)
        {
            await (await forger.GetAsync("/v1/tenants/acme/limits")).Problem(401, "unauthorized");
        }

        time.Advance(TimeSpan.FromSeconds(20));
        var refused = await forger.GetAsync("/v1/tenants/acme/limits");
        var problem = await refused.Problem(429, "too_many_rejected_keys");
        await (await elsewhereClient.GetAsync("/v1/tenants/acme/limits")).Problem(429, "too_many_rejected_keys");
        // The used key's cached verification has expired: it is checked with its grain again, and works; so does a key
        // issued through this gateway, and the admin key.
        await (await usedClient.GetAsync("/v1/tenants/acme/limits")).Ok();
        await (await issuedHereClient.GetAsync("/v1/tenants/other/limits")).Ok();
        await (await admin.GetAsync("/v1/tenants/acme")).Ok();

        Assert.Equal("40", refused.Headers.GetValues("Retry-After").Single());
        Assert.Equal("https://quotas.dev/problems/too-many-rejected-keys", (string?)problem["type"]);

        // A new minute: the valid key checked first takes no place from the made-up ones.
        time.Advance(TimeSpan.FromSeconds(40));
        await (await elsewhereClient.GetAsync("/v1/tenants/acme/limits")).Ok();
        for (var i = 0; i < 3; i++)
        {
            await (await forger.GetAsync("/v1/tenants/acme/limits")).Problem(401, "unauthorized");
        }

        var metrics = Samples.Parse(await (await admin.GetAsync("/metrics")).Content.ReadAsStringAsync());
        Assert.Equal(6, metrics.Sum("quotas_gateway_api_keys_rejected_total", "checked=\"true\""));
        Assert.Equal(2, metrics.Sum("quotas_gateway_api_keys_rejected_total", "checked=\"false\""));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_is_counted_apart_and_otherwise_the_header_is_ignored()
    {
        await using var trusting = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o =>
        {
            o.MaxRejectedKeysPerMinute = 2;
            o.TrustedProxies = ["127.0.0.0/8"];
        });
        await using var ignoring = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o => o.MaxRejectedKeysPerMinute = 2);

        var trusted = await FromTwoClientsAsync(trusting);
        var ignored = await FromTwoClientsAsync(ignoring);

        Assert.Equal([401, 401, 429, 401], trusted);
        Assert.Equal([401, 401, 429, 429], ignored);
    }

    /// <summary>Three made-up keys forwarded for one client, then one for another: the statuses.</summary>
    private static async Task<int[]> FromTwoClientsAsync(GatewayServer server)
    {
        using var forger = server.Client(MadeUp);
        var statuses = new List<int>();
        foreach (var client in new[] { "198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/tenants/acme/limits");
            request.Headers.Add("X-Forwarded-For", client);
            statuses.Add((int)(await forger.SendAsync(request)).StatusCode);
        }

        return [.. statuses];
    }

    [Fact]
    public async Task Checks_running_at_once_take_the_addresses_places_before_any_answer_comes()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resolver = new CallerResolver(new GatedKeys(gate.Task), new AdminKey(GatewayServer.AdminKey), new GatewayOptions { MaxRejectedKeysPerMinute = 3 }, TimeProvider.System);

        var checks = Enumerable.Range(0, 8).Select(i => resolver.ResolveAsync(From("203.0.113.7", $"qk_{i:x16}_made-up")).AsTask()).ToList();
        var refusedAtOnce = checks.Count(check => check.IsCompleted);
        gate.SetResult();
        var results = await Task.WhenAll(checks);

        Assert.Equal(5, refusedAtOnce);
        Assert.Equal(5, results.Count(result => result.UncheckedFor is not null));
        Assert.Equal(3, results.Count(result => result is { Caller: null, UncheckedFor: null }));
    }

    [Fact]
    public void Addresses_are_counted_by_host_for_IPv4_and_by_64_bit_prefix_for_IPv6()
    {
        var limiter = new RejectedKeyLimiter(new GatewayOptions { MaxRejectedKeysPerMinute = 2 }, new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T00:00:00Z")));
        foreach (var address in new[] { "203.0.113.7", "::ffff:203.0.113.7", "2001:db8:1:2::1", "2001:db8:1:2:ffff::9" })
        {
            Assert.True(limiter.TryTake(IPAddress.Parse(address), out _, out _));
        }

        Assert.False(limiter.TryTake(IPAddress.Parse("203.0.113.7"), out _, out var wait));
        Assert.Equal(TimeSpan.FromMinutes(1), wait);
        Assert.True(limiter.TryTake(IPAddress.Parse("203.0.113.8"), out _, out _));
        Assert.False(limiter.TryTake(IPAddress.Parse("2001:db8:1:2:abcd::1"), out _, out _));
        Assert.True(limiter.TryTake(IPAddress.Parse("2001:db8:1:3::1"), out _, out _));
        Assert.True(limiter.TryTake(null, out var none, out _));
        Assert.Null(none);
        Assert.Equal(2, limiter.RefusedUnchecked);
    }

    [Fact]
    public void A_place_given_back_for_a_valid_key_counts_nothing_and_a_bound_of_zero_refuses_nothing()
    {
        var limiter = new RejectedKeyLimiter(new GatewayOptions { MaxRejectedKeysPerMinute = 1 }, TimeProvider.System);
        var unbounded = new RejectedKeyLimiter(new GatewayOptions { MaxRejectedKeysPerMinute = 0 }, TimeProvider.System);
        var address = IPAddress.Parse("203.0.113.7");
        for (var i = 0; i < 100; i++)
        {
            Assert.True(limiter.TryTake(address, out var place, out _));
            limiter.GiveBack(place);
            Assert.True(unbounded.TryTake(address, out _, out _));
        }

        Assert.True(limiter.TryTake(address, out _, out _));
        Assert.False(limiter.TryTake(address, out _, out _));
    }

    [Fact]
    public void Past_its_bound_on_addresses_the_limiter_forgets_the_oldest_first()
    {
        var limiter = new RejectedKeyLimiter(new GatewayOptions { MaxRejectedKeysPerMinute = 1 }, new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T00:00:00Z")));
        static IPAddress Host(int i) => new((uint)IPAddress.HostToNetworkOrder(0x0A000000 + i));
        for (var i = 0; i < 100_000; i++)
        {
            Assert.True(limiter.TryTake(Host(i), out _, out _));
        }

        Assert.False(limiter.TryTake(Host(0), out _, out _));
        Assert.True(limiter.TryTake(Host(100_000), out _, out _));

        Assert.True(limiter.TryTake(Host(0), out _, out _));
        Assert.False(limiter.TryTake(Host(99_999), out _, out _));
    }

    /// <summary>Registers a key straight with its grain, as a gateway other than the one under test would issue it.</summary>
    private static async Task<string> RegisterKeyAsync(IGrainFactory grains, string tenantId)
    {
        var (keyId, secret, text) = ApiKeyText.NewKey();
        await grains.GetGrain<ITenantGrain>(tenantId).AddApiKey(keyId);
        await grains.GetGrain<IApiKeyGrain>(keyId).Register(tenantId, ApiKeyText.Hash(secret));
        return text;
    }

    private static Microsoft.AspNetCore.Http.DefaultHttpContext From(string address, string key)
    {
        var context = BearerRequest.With(key);
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        return context;
    }

    /// <summary>API key grains that know no key and answer only once the gate opens.</summary>
    private sealed class GatedKeys(Task gate) : IGrainFactory
    {
        public TGrainInterface GetGrain<TGrainInterface>(string primaryKey)
            where TGrainInterface : IGrainWithStringKey => (TGrainInterface)(object)new NoKey(gate);

        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey)
            where TGrainInterface : IGrainWithGuidKey => throw new NotSupportedException();

        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey)
            where TGrainInterface : IGrainWithIntegerKey => throw new NotSupportedException();
    }

    private sealed class NoKey(Task gate) : IApiKeyGrain
    {
        public Task<ApiKeyInfo> Register(string tenantId, string secretHash) => throw new NotSupportedException();

        public Task<ApiKeyInfo> RegisterWorker(string poolId, string secretHash, DateTimeOffset? poolDeletedAt) => throw new NotSupportedException();

        public async Task<string?> Verify(string secretHash)
        {
            await gate;
            return null;
        }

        public async Task<ApiKeyScope?> VerifyScope(string secretHash)
        {
            await gate;
            return null;
        }

        public Task<ApiKeyInfo?> Get() => Task.FromResult<ApiKeyInfo?>(null);

        public Task<bool> Revoke() => Task.FromResult(false);

        public Task<bool> IsLive() => Task.FromResult(false);
    }
}
