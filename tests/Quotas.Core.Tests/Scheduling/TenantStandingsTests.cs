using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class TenantStandingsTests
{
    [Fact]
    public void Every_known_tenant_is_listed_by_id_a_page_at_a_time_with_its_standing()
    {
        var s = new FairShareScheduler(WorkerPool(4, new TenantShare(Id("x"), Weight: 2)));
        s.Submit("c", Workers(1));
        s.Submit("a", Workers(1));
        s.Submit("b", Workers(1));
        s.Submit("b", Workers(1));
        s.Lease(Workers(1), max: 1);

        var first = s.ListTenantUsage(2);
        var second = s.ListTenantUsage(2, first.NextCursor);

        Assert.Equal(["a", "b"], first.Tenants.Select(t => t.Tenant.Value));
        Assert.Equal("b", first.NextCursor);
        Assert.Equal(["c", "x"], second.Tenants.Select(t => t.Tenant.Value));
        Assert.Null(second.NextCursor);
        Assert.Equal(s.GetTenantUsage(Id("b")), first.Tenants[1]);
        var all = first.Tenants.Concat(second.Tenants).ToList();
        Assert.Equal((1, 3), (all.Sum(t => t.LeasedJobs), all.Sum(t => t.QueuedJobs)));
        Assert.Equal(2, second.Tenants.Single(t => t.Tenant == Id("x")).Weight);
    }

    [Fact]
    public void A_pool_for_listed_tenants_only_tells_an_unlisted_tenant_nothing_of_its_resources()
    {
        var s = new FairShareScheduler(WorkerPool(4, new TenantShare(Id("a"))) with { ListedTenantsOnly = true });

        Assert.Equal(SchedulingErrorCodes.TenantNotInPool, Assert.Throws<SchedulingException>(() => s.GetTenantUsage(Id("outsider"))).Code);
        Assert.Equal(0, s.GetTenantUsage(Id("a")).QueuedJobs);
    }

    [Fact]
    public void A_bad_page_size_or_cursor_is_refused()
    {
        var s = new FairShareScheduler(WorkerPool(4));

        Assert.Equal(SchedulingErrorCodes.InvalidArgument, Assert.Throws<SchedulingException>(() => s.ListTenantUsage(0)).Code);
        Assert.Equal(SchedulingErrorCodes.InvalidCursor, Assert.Throws<SchedulingException>(() => s.ListTenantUsage(10, "Not a tenant")).Code);
        Assert.Empty(s.ListTenantUsage(10).Tenants);
    }
}
