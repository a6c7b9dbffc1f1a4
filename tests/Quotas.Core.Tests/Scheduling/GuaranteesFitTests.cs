using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class GuaranteesFitTests
{
    [Fact]
    public void Guarantees_adding_up_to_the_capacity_fit_and_one_more_unit_is_refused_with_the_sum()
    {
        PoolGuarantees.EnsureFit(WorkerPool(10, Guarantee("a", 6), Guarantee("b", 4)));

        var e = Assert.Throws<SchedulingException>(() => PoolGuarantees.EnsureFit(WorkerPool(10, Guarantee("a", 6), Guarantee("b", 5))));
        Assert.Equal(SchedulingErrorCodes.InvalidPoolConfig, e.Code);
        Assert.Equal("The tenants' guarantees add up to 11 of 'workers', more than the pool's capacity of 10; lower a guarantee or raise the capacity.", e.Message);
    }

    [Fact]
    public void Each_resource_is_summed_on_its_own()
    {
        var pool = new PoolConfig
        {
            Id = "pool",
            Capacity = ResourceVector.Of(("cpu", 1000), ("gpu", 2)),
            Tenants =
            [
                new TenantShare(Id("a"), Guaranteed: ResourceVector.Of(("cpu", 900), ("gpu", 1))),
                new TenantShare(Id("b"), Guaranteed: ResourceVector.Of(("gpu", 2))),
            ],
        };

        var e = Assert.Throws<SchedulingException>(() => PoolGuarantees.EnsureFit(pool));
        Assert.Contains("add up to 3 of 'gpu', more than the pool's capacity of 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Setting_a_tenant_or_shrinking_the_capacity_past_the_guarantees_is_refused_and_changes_nothing()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 6), Guarantee("b", 4)));

        Assert.Throws<SchedulingException>(() => s.SetTenant(Guarantee("c", 1), T0));
        Assert.Throws<SchedulingException>(() => s.UpdateCapacity(Workers(9), T0));

        Assert.Equal(2, s.Config.Tenants.Count);
        Assert.Equal(10, s.Config.Capacity["workers"]);

        // Replacing a tenant's own guarantee counts it once, not twice.
        s.SetTenant(Guarantee("b", 3), T0);
        s.SetTenant(Guarantee("c", 1), T0);
        Assert.Equal(3, s.Config.Tenants.Count);
    }

    [Fact]
    public void A_pool_over_its_capacity_may_be_brought_within_it_one_change_at_a_time_but_not_further_over()
    {
        var stored = new FairShareScheduler(WorkerPool(10, Guarantee("a", 6), Guarantee("b", 4))).ToSnapshot();
        var s = FairShareScheduler.FromSnapshot(stored with { Pool = WorkerPool(10, Guarantee("a", 6), Guarantee("b", 8)) });

        s.SetTenant(Guarantee("b", 6), T0);
        Assert.Throws<SchedulingException>(() => s.SetTenant(Guarantee("b", 7), T0));
        Assert.Throws<SchedulingException>(() => s.UpdateCapacity(Workers(9), T0));
        s.UpdateCapacity(Workers(11), T0);
        s.SetTenant(Guarantee("b", 5), T0);

        Assert.Equal(11, s.Config.Tenants.Sum(t => t.Guaranteed!["workers"]));
    }

    [Fact]
    public void A_stored_pool_whose_guarantees_exceed_its_capacity_still_restores()
    {
        var stored = new FairShareScheduler(WorkerPool(10, Guarantee("a", 6), Guarantee("b", 4))).ToSnapshot();
        var oversubscribed = stored with { Pool = WorkerPool(10, Guarantee("a", 6), Guarantee("b", 8)) };

        var restored = FairShareScheduler.FromSnapshot(oversubscribed);

        Assert.Equal(8, restored.Config.Tenants.Single(t => t.Tenant == Id("b")).Guaranteed!["workers"]);
    }
}
