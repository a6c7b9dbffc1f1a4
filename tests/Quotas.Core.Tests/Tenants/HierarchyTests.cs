using Quotas.Core.Tenants;
using static Quotas.Core.Tests.Tenants.Tenants;
using static Quotas.Core.Tests.Tenants.Times;

namespace Quotas.Core.Tests.Tenants;

public sealed class HierarchyTests
{
    private static TenantId Id(string value) => TenantId.Parse(value);

    [Fact]
    public void Ancestors_are_nearest_first()
    {
        var parents = new Dictionary<TenantId, TenantId> { [Id("c")] = Id("b"), [Id("b")] = Id("a") };
        Assert.Equal([Id("b"), Id("a")], TenantHierarchy.Ancestors(Id("c"), parents));
        Assert.Empty(TenantHierarchy.FindCycle(parents));
    }

    [Fact]
    public void Cycles_are_detected()
    {
        var parents = new Dictionary<TenantId, TenantId> { [Id("a")] = Id("b"), [Id("b")] = Id("c"), [Id("c")] = Id("a"), [Id("d")] = Id("a") };
        Assert.Equal(3, TenantHierarchy.FindCycle(parents).Count);
        Assert.Equal(ValidationCodes.HierarchyCycle, Assert.Throws<QuotaValidationException>(() => TenantHierarchy.Ancestors(Id("d"), parents)).Code);

        var ok = new Dictionary<TenantId, TenantId> { [Id("b")] = Id("a") };
        Assert.Equal(ValidationCodes.HierarchyCycle, Assert.Throws<QuotaValidationException>(() => TenantHierarchy.ValidateParent(Id("a"), Id("b"), ok)).Code);
    }

    [Fact]
    public void Depth_is_bounded()
    {
        var parents = Enumerable.Range(1, TenantHierarchy.MaxDepth).ToDictionary(i => Id($"t{i}"), i => Id($"t{i - 1}"));
        Assert.Equal(TenantHierarchy.MaxDepth, TenantHierarchy.Ancestors(Id($"t{TenantHierarchy.MaxDepth}"), parents).Count);
        Assert.Equal(
            ValidationCodes.HierarchyTooDeep,
            Assert.Throws<QuotaValidationException>(() => TenantHierarchy.ValidateParent(Id("deep"), Id($"t{TenantHierarchy.MaxDepth}"), parents)).Code);
    }

    [Fact]
    public void Parent_limit_caps_the_sum_of_children_reservations()
    {
        var parent = Basic("parent"); // cpu 1000
        Assert.True(parent.ReserveForChild("kid-a:1", QuotaNames.CpuMillicores, 600, Hour, T0).IsAllowed);
        Assert.False(parent.ReserveForChild("kid-b:1", QuotaNames.CpuMillicores, 600, Hour, T0).IsAllowed);
        Assert.True(parent.ReserveForChild("kid-b:2", QuotaNames.CpuMillicores, 400, Hour, T0).IsAllowed);
        Assert.Equal(1000, parent.Gauges.Usage(QuotaNames.CpuMillicores));
    }

    [Fact]
    public void Reservation_is_idempotent_by_child_lease_and_rolls_back_once()
    {
        var parent = Basic("parent");
        var first = (AdmissionDecision.Allow)parent.ReserveForChild("kid:1", QuotaNames.CpuMillicores, 300, Hour, T0);
        var again = (AdmissionDecision.Allow)parent.ReserveForChild("kid:1", QuotaNames.CpuMillicores, 300, Hour, T0);
        Assert.Equal(first.LeaseId, again.LeaseId);
        Assert.Equal(first.LeaseId, parent.ReservationFor("kid:1"));
        Assert.Equal(300, parent.Gauges.Usage(QuotaNames.CpuMillicores));

        Assert.True(parent.RollbackChildReservation("kid:1", T0));
        Assert.False(parent.RollbackChildReservation("kid:1", T0));
        Assert.Equal(0, parent.Gauges.Usage(QuotaNames.CpuMillicores));
    }

    [Fact]
    public void Child_inherits_what_it_does_not_set()
    {
        var parentQuotas = EffectiveQuotas.Merge(
            TierProfiles.Enterprise, [QuotaDefinition.Gauge(QuotaNames.Workers, QuotaLimit.Hard(50))], null);
        var child = new TenantQuotas(
            TenantConfig.Create("child", Tier.Basic, QuotaDefinition.Gauge(QuotaNames.CpuMillicores, QuotaLimit.Hard(10))), parentQuotas);

        QuotaLimit Limit(string name) => child.Effective.First(q => q.Kind == QuotaKind.Gauge && q.Name == name).Limit;
        Assert.Equal(10, Limit(QuotaNames.CpuMillicores).Limit);    // own
        Assert.Equal(50, Limit(QuotaNames.Workers).Limit);          // parent's own
        Assert.Equal(4096, Limit(QuotaNames.MemoryMb).Limit);       // parent's tier beats the child's tier
        Assert.True(Limit(QuotaNames.Connections).IsUnlimited);     // absent everywhere
    }

    [Fact]
    public void Parent_unlimited_quota_leaves_the_child_tier_in_force()
    {
        var parentQuotas = EffectiveQuotas.Merge(TierProfiles.Unlimited, [QuotaDefinition.Gauge("producers", QuotaLimit.Unlimited)], null);
        var child = new TenantQuotas(TenantConfig.Create("child", Tier.Basic), parentQuotas);

        Assert.Equal(1000, child.Effective.First(q => q.Name == QuotaNames.CpuMillicores).Limit.Limit);
        Assert.True(child.Acquire("producers", 5, Hour, null, T0).IsAllowed); // a client-named quota is inherited even when unlimited
    }
}
