using Grains;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tests.Tenants;

/// <summary>
/// A rate limit a parent sets itself caps the sum of its subtree's hits: a hit admitted by the tenant's own window counts
/// in every ancestor that sets a limited rate quota of that name, all or nothing. Tier defaults and inherited values
/// cap no subtree.
/// </summary>
public sealed class AncestorRateTests
{
    private const string Api = "api";
    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);

    public static TheoryData<string, int> Clusters => new() { { "sqlite", 1 }, { "postgresql", 2 } };

    [Theory]
    [MemberData(nameof(Clusters))]
    public async Task Concurrent_hits_of_two_children_are_admitted_exactly_up_to_their_parents_limit_and_refused_ones_are_not_counted(string database, int silos)
    {
        var storage = database == "sqlite" ? TestStorage.Sqlite() : TestStorage.PostgreSql();
        await using var cluster = await QuotaClusters.StartAsync(storage, silos);
        var grains = cluster.GrainFactory;
        var org = await CreateAsync(grains, "org", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(10), s_hour));
        var left = await CreateAsync(grains, "org-left", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(8), s_hour), parent: "org");
        var right = await CreateAsync(grains, "org-right", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(8), s_hour), parent: "org");

        var hits = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => (i % 2 == 0 ? left : right).HitRate(Api, 1))));

        Assert.Equal(10, hits.Count(h => h.Decision.Allowed));
        Assert.All(hits.Where(h => !h.Decision.Allowed), h => Assert.Equal(ReasonCodes.RateLimited, h.Decision.ReasonCode));
        Assert.Equal(10, await CountedAsync(org));
        var (leftCounted, rightCounted) = (await CountedAsync(left), await CountedAsync(right));
        Assert.Equal(10, leftCounted + rightCounted);
        Assert.InRange(leftCounted, 2, 8);
    }

    [Fact]
    public async Task A_hit_its_parent_refuses_is_given_back_to_the_childs_bucket_and_answered_with_the_parents_window()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var minute = TimeSpan.FromMinutes(1);
        await CreateAsync(cluster.GrainFactory, "org", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(3), minute, buckets: 6));
        var team = await CreateAsync(cluster.GrainFactory, "org-team", QuotaDefinition.TokenBucket(Api, 5, s_hour, 5), parent: "org");

        // Admitted: the parent has 2 left of 3 a minute, the child 4 of its 5 tokens; the fields follow the parent.
        var first = await team.HitRate(Api, 1);
        Assert.True(first.Decision.Allowed);
        Assert.Equal((3L, 2L), (first.Decision.Limit, first.Decision.Remaining));
        Assert.Equal(minute, first.Window);
        await team.HitRate(Api, 1);
        await team.HitRate(Api, 1);

        var refused = await team.HitRate(Api, 1);

        Assert.False(refused.Decision.Allowed);
        Assert.Equal((3L, 3L), (refused.Decision.Limit, refused.Decision.Current));
        Assert.Equal(minute, refused.Window);
        Assert.Equal(minute, refused.Decision.RetryAfter); // all three hits sit in the window's newest bucket
        var stats = await team.GetStats();
        var own = stats.Rates.Single(r => r.Quota == Api);
        Assert.Equal(3, own.Current); // the refused hit's token went back
        Assert.Equal(1, own.Violations);
        Assert.Empty(await team.GetAlerts(0)); // the refused hit would have been the child's 80 %

        // A minute on, the parent's window is empty and the child's bucket, with one token left, is the tighter.
        time.Advance(minute);
        var later = await team.HitRate(Api, 1);
        Assert.True(later.Decision.Allowed);
        Assert.Equal((5L, 1L), (later.Decision.Limit, later.Decision.Remaining));
        Assert.Equal(s_hour, later.Window);
    }

    [Fact]
    public async Task A_grandparent_caps_through_a_parent_without_a_limit_of_that_name_and_the_childs_own_refusal_charges_no_ancestor()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var grains = cluster.GrainFactory;
        var corp = await CreateAsync(grains, "corp", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(3), s_hour));
        var unit = await CreateAsync(grains, "corp-unit", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Unlimited, s_hour), parent: "corp");
        var team = await CreateAsync(grains, "corp-team", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(2), s_hour), parent: "corp-unit");

        Assert.True((await team.HitRate(Api, 2)).Decision.Allowed);
        var ownRefusal = (await team.HitRate(Api, 1)).Decision;
        Assert.Equal(2, ownRefusal.Limit);
        Assert.True((await unit.HitRate(Api, 1)).Decision.Allowed);
        var refusedAbove = (await unit.HitRate(Api, 1)).Decision;

        Assert.False(ownRefusal.Allowed);
        Assert.False(refusedAbove.Allowed);
        Assert.Equal((3L, 3L), (refusedAbove.Limit, refusedAbove.Current));
        Assert.Equal(3, await CountedAsync(corp));
        Assert.Equal(2, await CountedAsync(team));
    }

    [Fact]
    public async Task A_child_of_a_deleted_parent_is_capped_by_its_own_rate_limit_only()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(1), s_hour));
        var team = await CreateAsync(cluster.GrainFactory, "org-team", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(3), s_hour), parent: "org");
        Assert.True((await team.HitRate(Api, 1)).Decision.Allowed);
        Assert.False((await team.HitRate(Api, 1)).Decision.Allowed);

        await org.Suspend();
        await org.Delete(force: true);

        Assert.True((await team.HitRate(Api, 1)).Decision.Allowed);
        Assert.True((await team.HitRate(Api, 1)).Decision.Allowed);
        var own = (await team.HitRate(Api, 1)).Decision;
        Assert.False(own.Allowed);
        Assert.Equal(3, own.Limit);
    }

    [Fact]
    public async Task A_parents_tier_default_limits_each_child_alone_and_the_parent_counts_none_of_their_hits()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var grains = cluster.GrainFactory;
        var org = await CreateAsync(grains, "org", rate: null); // requests: 100 a minute, from the tier
        var ownRequests = QuotaDefinition.SlidingWindow(QuotaNames.Requests, QuotaLimit.Hard(500), TimeSpan.FromMinutes(1));
        var unit = await CreateAsync(grains, "org-unit", ownRequests, parent: "org");
        var team = await CreateAsync(grains, "org-team", ownRequests, parent: "org");

        Assert.True((await unit.HitRate(QuotaNames.Requests, 60)).Decision.Allowed);
        Assert.True((await team.HitRate(QuotaNames.Requests, 60)).Decision.Allowed);

        Assert.Equal(0, (await org.GetStats()).Rates.Single(r => r.Quota == QuotaNames.Requests).Current);
    }

    [Fact]
    public async Task A_parent_that_only_inherits_a_limit_counts_neither_the_hits_nor_the_violations_of_its_children()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var grains = cluster.GrainFactory;
        var corp = await CreateAsync(grains, "corp", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(5), s_hour));
        var unit = await CreateAsync(grains, "corp-unit", rate: null, parent: "corp");
        var team = await CreateAsync(grains, "corp-team", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(10), s_hour), parent: "corp-unit");

        await team.HitRate(Api, 2);
        await corp.HitRate(Api, 3);
        Assert.Equal((0L, 5L), (await CountedAsync(unit), await CountedAsync(corp)));

        // Refused at the top: a violation of the tenant whose caller was refused and of the refusing one only.
        Assert.False((await team.HitRate(Api, 1)).Decision.Allowed);
        Assert.Equal((1L, 0L, 1L), (await ViolationsAsync(team), await ViolationsAsync(unit), await ViolationsAsync(corp)));
    }

    [Fact]
    public async Task A_cap_set_on_a_parent_later_reaches_its_active_child_at_once_and_ends_when_it_is_taken_off()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var grains = cluster.GrainFactory;
        var org = await CreateAsync(grains, "org", QuotaDefinition.SlidingWindow("other", QuotaLimit.Hard(1), s_hour));
        var team = await CreateAsync(grains, "org-team", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(10), s_hour), parent: "org");
        Assert.True((await team.HitRate(Api, 2)).Decision.Allowed); // not capped above: the parent counts nothing

        // The clock stands still: no refresh runs, the parent tells its child itself.
        await org.UpdateQuotas([QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(3), s_hour)]);
        Assert.True((await team.HitRate(Api, 3)).Decision.Allowed);
        var capped = (await team.HitRate(Api, 1)).Decision;
        await org.UpdateQuotas([]);
        var uncapped = (await team.HitRate(Api, 1)).Decision;

        Assert.False(capped.Allowed);
        Assert.Equal(3, capped.Limit);
        Assert.True(uncapped.Allowed);
        Assert.Equal(6, await CountedAsync(team));
    }

    [Fact]
    public async Task A_grandparent_that_starts_to_set_its_tier_default_itself_caps_its_grandchildren_at_once_through_a_parent_that_caps_nothing()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var grains = cluster.GrainFactory;
        var corp = await CreateAsync(grains, "corp", rate: null); // requests: 100 a minute, from the tier
        var unit = await CreateAsync(grains, "corp-unit", rate: null, parent: "corp");
        var ownRequests = QuotaDefinition.SlidingWindow(QuotaNames.Requests, QuotaLimit.Hard(500), TimeSpan.FromMinutes(1));
        var team = await CreateAsync(grains, "corp-team", ownRequests, parent: "corp-unit");
        Assert.True((await team.HitRate(QuotaNames.Requests, 1)).Decision.Allowed);

        // The same limit, now set by the tenant itself: the value a child inherits stays, what is capped changes.
        await corp.UpdateQuotas([QuotaDefinition.SlidingWindow(QuotaNames.Requests, QuotaLimit.Hard(100), TimeSpan.FromMinutes(1))]);
        await unit.GetStats(); // runs after the unit's turn that was told, which tells its own child in turn
        Assert.True((await team.HitRate(QuotaNames.Requests, 100)).Decision.Allowed);
        var refused = (await team.HitRate(QuotaNames.Requests, 1)).Decision;

        Assert.False(refused.Allowed);
        Assert.Equal(100, refused.Limit);
    }

    [Fact]
    public async Task A_parent_deleted_and_created_again_under_another_tenant_takes_its_children_out_of_the_former_grandparents_cap_at_once()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var grains = cluster.GrainFactory;
        var old = await CreateAsync(grains, "old", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(2), s_hour));
        await CreateAsync(grains, "new", QuotaDefinition.SlidingWindow("other", QuotaLimit.Hard(1), s_hour));
        var unit = await CreateAsync(grains, "unit", rate: null, parent: "old");
        var team = await CreateAsync(grains, "team", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(10), s_hour), parent: "unit");
        Assert.True((await team.HitRate(Api, 2)).Decision.Allowed);
        Assert.False((await team.HitRate(Api, 1)).Decision.Allowed);

        await unit.Suspend();
        await unit.Delete(force: true);
        await CreateAsync(grains, "unit", rate: null, parent: "new");
        await team.GetStats(); // runs after the turns in which the team was told of both

        Assert.True((await team.HitRate(Api, 1)).Decision.Allowed);
        Assert.Equal(2, await CountedAsync(old));
    }

    [Fact]
    public async Task A_suspended_parent_refuses_its_childrens_hits_until_it_is_activated()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var org = await CreateAsync(cluster.GrainFactory, "org", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(10), s_hour));
        var team = await CreateAsync(cluster.GrainFactory, "org-team", QuotaDefinition.SlidingWindow(Api, QuotaLimit.Hard(10), s_hour), parent: "org");

        await org.Suspend();
        var refused = (await team.HitRate(Api, 1)).Decision;
        await org.Activate();

        Assert.Equal(ReasonCodes.TenantSuspended, refused.ReasonCode);
        Assert.True((await team.HitRate(Api, 1)).Decision.Allowed);
        Assert.Equal(1, await CountedAsync(team));
    }

    /// <summary>A Basic tenant with <paramref name="rate"/> of its own, or none (its tier's and what it inherits).</summary>
    private static async Task<ITenantGrain> CreateAsync(IGrainFactory grains, string id, QuotaDefinition? rate, string? parent = null)
    {
        var grain = grains.GetGrain<ITenantGrain>(id);
        var config = rate is null ? TenantConfig.Create(id, Tier.Basic) : TenantConfig.Create(id, Tier.Basic, rate);
        await grain.Create(parent is null ? config : config with { ParentId = TenantId.Parse(parent) });
        return grain;
    }

    private static async Task<long> ViolationsAsync(ITenantGrain tenant) =>
        (await tenant.GetStats()).Rates.Single(r => r.Quota == Api).Violations;

    private static async Task<long> CountedAsync(ITenantGrain tenant) =>
        (await tenant.GetStats()).Rates.Single(r => r.Quota == Api).Current;
}
