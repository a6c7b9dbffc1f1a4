using Quotas.Core.Scheduling;
using Quotas.Grains.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class RecentlyRemovedTenantsTests
{
    private static TenantId Tenant(int i) => new($"tenant-{i}");

    [Fact]
    public void Keeps_the_latest_removals_up_to_its_capacity_and_forgets_the_oldest()
    {
        var removed = new RecentlyRemovedTenants();
        for (var i = 0; i < RecentlyRemovedTenants.Capacity + 5; i++)
        {
            removed.Add(Tenant(i));
        }

        Assert.Equal(RecentlyRemovedTenants.Capacity, removed.Count);
        Assert.False(removed.Contains(Tenant(4)));
        Assert.True(removed.Contains(Tenant(5)));
        Assert.True(removed.Contains(Tenant(RecentlyRemovedTenants.Capacity + 4)));
    }

    [Fact]
    public void A_tenant_removed_again_counts_from_its_latest_removal()
    {
        var removed = new RecentlyRemovedTenants();
        removed.Add(Tenant(0));
        for (var i = 1; i < RecentlyRemovedTenants.Capacity; i++)
        {
            removed.Add(Tenant(i));
        }

        removed.Add(Tenant(0));
        removed.Add(Tenant(-1));

        Assert.True(removed.Contains(Tenant(0)));
        Assert.False(removed.Contains(Tenant(1)));
        Assert.Equal(RecentlyRemovedTenants.Capacity, removed.Count);
    }

    [Fact]
    public void One_tenant_removed_and_forgotten_over_and_over_keeps_memory_bounded()
    {
        var removed = new RecentlyRemovedTenants();
        removed.Add(Tenant(1));
        for (var i = 0; i < 5 * RecentlyRemovedTenants.Capacity; i++)
        {
            removed.Add(Tenant(0));
            removed.Remove(Tenant(0));
        }

        Assert.True(removed.Places <= 2 * RecentlyRemovedTenants.Capacity);
        Assert.True(removed.Contains(Tenant(1)));
        Assert.Equal(1, removed.Count);
    }
}
