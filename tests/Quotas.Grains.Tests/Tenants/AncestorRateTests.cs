using Grains;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tests.Tenants;

/// <summary>
/// A parent's rate limit caps the sum of its children's use, exactly (DESIGN section 4): a child's check counts in
/// every ancestor that caps the same rate, all or nothing. The clock is manual, so no window slides during a test.
/// </summary>
public sealed class AncestorRateTests
{
    private const string Requests = "requests";

    [Fact]
    public async Task A_parents_limit_caps_the_sum_of_its_childrens_hits_and_a_refusal_above_counts_nowhere_below()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org", limit: 10);
        var a = await CreateAsync(cluster.GrainFactory, "org-a", limit: 8, parent: "org");
        var b = await CreateAsync(cluster.GrainFactory, "org-b", limit: 8, parent: "org");

        Assert.All(await HitAsync(a, 6), d => Assert.True(d.Allowed));
        var hits = await HitAsync(b, 6);

        Assert.Equal([true, true, true, true, false, false], hits.Select(d => d.Allowed));
        var refused = hits[^1];
        Assert.Equal(ReasonCodes.RateLimited, refused.ReasonCode);
        Assert.Equal(10, refused.Limit);
        Assert.Equal(10, refused.Current);
        Assert.Equal(4, await CountedAsync(b));
        Assert.Equal(10, await CountedAsync(org));

        // The refusal names the parent's window, as the RateLimit-Policy header must.
        var hit = await b.HitRate(Requests, 1);
        Assert.False(hit.Decision.Allowed);
        Assert.Equal(TimeSpan.FromMinutes(1), hit.Window);
    }

    [Fact]
    public async Task A_hit_the_childs_own_limit_refuses_asks_no_ancestor()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org", limit: 100);
        var a = await CreateAsync(cluster.GrainFactory, "org-a", limit: 3, parent: "org");

        var hits = await HitAsync(a, 5);

        Assert.Equal([true, true, true, false, false], hits.Select(d => d.Allowed));
        Assert.Equal(3, hits[^1].Limit);
        Assert.Equal(3, await CountedAsync(org));
    }

    [Fact]
    public async Task Concurrent_hits_of_two_children_are_admitted_exactly_up_to_the_parents_limit()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org", limit: 25);
        var children = new[]
        {
            await CreateAsync(cluster.GrainFactory, "org-a", limit: 100, parent: "org"),
            await CreateAsync(cluster.GrainFactory, "org-b", limit: 100, parent: "org"),
        };

        var hits = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() => children[i % 2].CheckRate(Requests, 1))));

        Assert.Equal(25, hits.Count(d => d.Allowed));
        Assert.Equal(25, await CountedAsync(org));
        Assert.Equal(25, await CountedAsync(children[0]) + await CountedAsync(children[1]));
    }

    [Fact]
    public async Task A_grandparents_limit_caps_its_grandchildren_through_the_parent()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var corp = await CreateAsync(cluster.GrainFactory, "corp", limit: 5);
        var unit = await CreateAsync(cluster.GrainFactory, "corp-unit", limit: 100, parent: "corp");
        var team = await CreateAsync(cluster.GrainFactory, "corp-team", limit: 100, parent: "corp-unit");

        var hits = await HitAsync(team, 7);

        Assert.Equal(5, hits.Count(d => d.Allowed));
        Assert.Equal(5, hits[^1].Limit);
        Assert.Equal(5, await CountedAsync(unit));
        Assert.Equal(5, await CountedAsync(corp));
    }

    [Fact]
    public async Task A_child_of_a_deleted_parent_is_capped_by_its_own_limit_only()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org", limit: 2);
        var a = await CreateAsync(cluster.GrainFactory, "org-a", limit: 4, parent: "org");
        await org.Suspend();
        await org.Delete(force: true);

        var hits = await HitAsync(a, 5);

        Assert.Equal([true, true, true, true, false], hits.Select(d => d.Allowed));
    }

    private static async Task<ITenantGrain> CreateAsync(IGrainFactory grains, string id, long limit, string? parent = null)
    {
        var grain = grains.GetGrain<ITenantGrain>(id);
        var config = TenantConfig.Create(id, Tier.Basic, QuotaDefinition.SlidingWindow(Requests, QuotaLimit.Hard(limit), TimeSpan.FromMinutes(1)));
        await grain.Create(parent is null ? config : config with { ParentId = TenantId.Parse(parent) });
        return grain;
    }

    private static async Task<List<RateDecision>> HitAsync(ITenantGrain tenant, int hits)
    {
        var decisions = new List<RateDecision>();
        for (var i = 0; i < hits; i++)
        {
            decisions.Add(await tenant.CheckRate(Requests, 1));
        }

        return decisions;
    }

    private static async Task<long> CountedAsync(ITenantGrain tenant) =>
        (await tenant.GetStats()).Rates.Single(r => r.Quota == Requests).Current;
}
