using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

/// <summary>Creating, replacing and resizing a pool are each one step at the pool, whatever runs at the same time.</summary>
public sealed class PoolConfigChangeTests
{
    [Fact]
    public async Task Of_creations_sent_at_once_exactly_one_creates_the_pool_and_the_others_are_told_it_exists()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("raced");
        var configs = Enumerable.Range(1, 8).Select(i => Pools.Small("raced") with { Capacity = ResourceVector.Of(("cpu_millicores", 1000 * i), ("memory_mb", 8192)) }).ToList();

        var attempts = await Task.WhenAll(configs.Select(async config =>
        {
            try
            {
                return (Created: await pool.CreatePool(config), Code: (string?)null);
            }
            catch (SchedulingException e)
            {
                return (Created: (PoolConfig?)null, e.Code);
            }
        }));

        var winner = Assert.Single(attempts, a => a.Created is not null).Created!;
        Assert.All(attempts.Where(a => a.Created is null), a => Assert.Equal(SchedulingErrorCodes.PoolExists, a.Code));
        Assert.Equal(winner.Capacity, (await pool.GetConfig())!.Capacity);
    }

    [Fact]
    public async Task A_replace_or_capacity_change_of_a_pool_that_does_not_exist_creates_nothing()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("absent");

        var replaced = await Assert.ThrowsAsync<SchedulingException>(() => pool.ReplaceConfig(Pools.Small("absent")));
        var resized = await Assert.ThrowsAsync<SchedulingException>(() => pool.UpdateCapacity(ResourceVector.Of(("cpu_millicores", 1000))));

        Assert.Equal(SchedulingErrorCodes.UnknownPool, replaced.Code);
        Assert.Equal(SchedulingErrorCodes.UnknownPool, resized.Code);
        Assert.Null(await pool.GetConfig());
    }

    [Fact]
    public async Task A_capacity_change_keeps_the_rest_of_the_configuration_and_may_add_a_resource_but_not_drop_one()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("resized");
        await pool.CreatePool(Pools.Small("resized"));
        var replaced = await pool.ReplaceConfig(Pools.Small("resized") with { Tenants = [new TenantShare(Pools.Alpha, Weight: 3)] });

        var same = await pool.UpdateCapacity(ResourceVector.Of(("cpu_millicores", 2000), ("memory_mb", 4096)));
        var added = await pool.UpdateCapacity(ResourceVector.Of(("cpu_millicores", 2000), ("gpu", 1), ("memory_mb", 4096)));
        var dropped = await Assert.ThrowsAsync<SchedulingException>(() => pool.UpdateCapacity(ResourceVector.Of(("cpu_millicores", 2000))));

        Assert.Equal(replaced.Tenants, same.Tenants);
        Assert.Equal(2000, same.Capacity["cpu_millicores"]);
        Assert.Equal(replaced.Tenants, added.Tenants);
        Assert.Equal(1, added.Capacity["gpu"]);
        Assert.Equal(SchedulingErrorCodes.InvalidPoolConfig, dropped.Code);
        Assert.Equal(added, await pool.GetConfig());
    }
}
