using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class TierSharesTests
{
    private static FairShareScheduler PoolWithTiers(long workers, TierShare[] tiers, params TenantShare[] tenants) =>
        new(WorkerPool(workers, tenants) with { Tiers = tiers });

    /// <summary>Each tenant queues more one-worker jobs than the pool holds; then the pool is filled from empty.</summary>
    private static IReadOnlyList<JobLease> Fill(FairShareScheduler s, long workers, params (string Tenant, string? Tier)[] tenants)
    {
        foreach (var (tenant, tier) in tenants)
        {
            for (var i = 0; i < workers; i++)
            {
                s.Submit(tenant, Workers(1));
            }

            s.SetTenantTier(Id(tenant), tier, T0);
        }

        return s.Lease(Workers(workers));
    }

    [Fact]
    public void Unlisted_tenants_take_their_tiers_weights_and_a_tier_without_settings_gets_weight_1()
    {
        var s = PoolWithTiers(40, [new TierShare("premium", 3)]);

        var leases = Fill(s, 40, ("a", "basic"), ("b", "premium"));

        Assert.Equal(10, leases.CountFor("a"));
        Assert.Equal(30, leases.CountFor("b"));
    }

    [Fact]
    public void A_tenant_listed_by_name_keeps_its_own_settings_whatever_its_tier()
    {
        var s = PoolWithTiers(40, [new TierShare("premium", 3)], new TenantShare(Id("b"), Weight: 1));

        var leases = Fill(s, 40, ("a", "basic"), ("b", "premium"));

        Assert.Equal(20, leases.CountFor("a"));
        Assert.Equal(20, leases.CountFor("b"));
    }

    [Fact]
    public void A_tiers_borrowing_limit_caps_its_tenants_in_an_idle_pool()
    {
        var s = PoolWithTiers(10, [new TierShare("basic", BorrowingLimit: Workers(2))]);

        var leases = Fill(s, 10, ("a", "basic"));

        Assert.Equal(2, leases.Count);
    }

    [Fact]
    public void A_new_tier_applies_at_once_and_reports_a_change_only_when_it_differs()
    {
        var s = PoolWithTiers(40, [new TierShare("premium", 3)]);
        s.Submit("a", Workers(1));

        Assert.True(s.SetTenantTier(Id("a"), "premium", T0));
        Assert.False(s.SetTenantTier(Id("a"), "premium", T0));
        Assert.Equal((3.0, "premium"), (s.GetTenantUsage(Id("a")).Weight, s.GetTenantUsage(Id("a")).Tier));
        Assert.False(s.SetTenantTier(Id("nobody"), "premium", T0));

        var leases = Fill(s, 40, ("a", "basic"), ("b", "premium"));
        Assert.Equal(10, leases.CountFor("a"));
    }

    [Fact]
    public void A_rebuilt_pool_keeps_its_tenants_tiers_and_a_new_tier_table_applies_to_them()
    {
        var s = PoolWithTiers(40, [new TierShare("premium", 3)]);
        s.Submit("a", Workers(1));
        s.Submit("b", Workers(1));
        s.SetTenantTier(Id("a"), "basic", T0);
        s.SetTenantTier(Id("b"), "premium", T0);

        var snapshot = s.ToSnapshot();
        Assert.Equal("premium", snapshot.Usage.Single(u => u.Tenant == Id("b")).Tier);

        // No tier is reported again: the rebuilt pools know them from the snapshot.
        var restored = FairShareScheduler.FromSnapshot(snapshot);
        Assert.Equal(30, FillWithoutTiers(restored, 40).CountFor("b"));

        var retiered = FairShareScheduler.FromSnapshot(snapshot with { Pool = snapshot.Pool with { Tiers = [new TierShare("basic", 3)] } });
        Assert.Equal(30, FillWithoutTiers(retiered, 40).CountFor("a"));
    }

    private static IReadOnlyList<JobLease> FillWithoutTiers(FairShareScheduler s, long workers)
    {
        for (var i = 0; i < workers; i++)
        {
            s.Submit("a", Workers(1));
            s.Submit("b", Workers(1));
        }

        return s.Lease(Workers(workers));
    }

    [Fact]
    public void A_tier_change_is_among_the_changes_an_owner_stores()
    {
        var s = new FairShareScheduler(WorkerPool(4) with { Tiers = [new TierShare("premium", 2)] }, trackChanges: true);
        s.Submit("a", Workers(1));
        s.TakeChanges();

        s.SetTenantTier(Id("a"), "premium", T0);

        Assert.Equal("premium", Assert.Single(s.TakeChanges().Usage).Tier);
    }

    [Fact]
    public void A_submission_with_its_tier_is_held_to_the_tiers_limit_from_its_first_job_and_a_refusal_leaves_no_trace()
    {
        var s = PoolWithTiers(10, [new TierShare("basic", BorrowingLimit: Workers(2))]);

        var e = Assert.Throws<SchedulingException>(() => s.Submit(new SubmitJobRequest(Id("a"), Workers(3), 0, "k1"), "basic", T0));

        Assert.Equal(SchedulingErrorCodes.DemandExceedsTenantLimit, e.Code);
        Assert.Empty(s.ListTenantUsage(10).Tenants);
        Assert.True(s.Submit(new SubmitJobRequest(Id("a"), Workers(2), 0, "k2"), "basic", T0).Created);
        Assert.Equal("basic", s.GetTenantUsage(Id("a")).Tier);

        // Of another tier now (deleted and created again): the new tier's settings decide, not the recorded ones.
        Assert.True(s.Submit(new SubmitJobRequest(Id("a"), Workers(5), 0, "k3"), "premium", T0).Created);
        Assert.Equal("premium", s.GetTenantUsage(Id("a")).Tier);
    }

    [Fact]
    public void A_submission_with_its_tier_in_a_pool_listing_the_tenant_keeps_the_tenants_own_settings()
    {
        var s = PoolWithTiers(10, [new TierShare("basic", BorrowingLimit: Workers(2))], new TenantShare(Id("a"), Weight: 5));

        Assert.True(s.Submit(new SubmitJobRequest(Id("a"), Workers(8), 0, "k1"), "basic", T0).Created);

        Assert.Equal((5.0, "basic"), (s.GetTenantUsage(Id("a")).Weight, s.GetTenantUsage(Id("a")).Tier));
    }

    [Theory]
    [InlineData("", 1.0, "need the tier's name")]
    [InlineData("Premium", 1.0, "need the tier's name")]
    [InlineData("premium", 0.0, "Weight of tier 'premium' must be a finite number greater than 0.")]
    public void Tier_settings_are_validated(string tier, double weight, string message)
    {
        var e = Assert.Throws<SchedulingException>(() => PoolWithTiers(4, [new TierShare(tier, weight)]));

        Assert.Equal(SchedulingErrorCodes.InvalidPoolConfig, e.Code);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tier_listed_twice_or_limited_on_an_unknown_resource_is_refused()
    {
        Assert.Contains("listed twice", Assert.Throws<SchedulingException>(() => PoolWithTiers(4, [new TierShare("basic"), new TierShare("basic", 2)])).Message, StringComparison.Ordinal);
        Assert.Contains("names 'gpu'", Assert.Throws<SchedulingException>(() => PoolWithTiers(4, [new TierShare("basic", BorrowingLimit: ResourceVector.Of(("gpu", 1)))])).Message, StringComparison.Ordinal);
    }
}
