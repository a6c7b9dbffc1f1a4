using Grains.Testing;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class PoolDirectoryTests
{
    [Fact]
    public async Task An_activated_pool_puts_the_directory_right_a_stored_one_joins_it_and_a_missing_one_leaves_it()
    {
        var options = QuotaClusters.Options(TestStorage.Sqlite());
        await using (var first = await TestCluster.StartAsync(options))
        {
            var directory = first.GrainFactory.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.PoolsKey);
            await first.GrainFactory.GetGrain<IFairShareSchedulerGrain>("stored").Configure(Pools.Small("stored"));
            Assert.Equal(["stored"], await directory.List(null, 10));

            // As a release before the directory left them: a stored pool not listed, and an id with no pool.
            await directory.Remove("stored");
            await directory.Add("ghost");
            await first.PrimarySilo.Silo.KillAsync();
        }

        await using var second = await TestCluster.StartAsync(options);
        var reopened = second.GrainFactory.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.PoolsKey);
        Assert.NotNull(await second.GrainFactory.GetGrain<IFairShareSchedulerGrain>("stored").GetConfig());
        Assert.Null(await second.GrainFactory.GetGrain<IFairShareSchedulerGrain>("ghost").GetConfig());

        Assert.Equal(["stored"], await reopened.List(null, 10));
    }

    [Fact]
    public async Task A_deleted_pool_leaves_the_directory()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("short-lived");
        await pool.Configure(Pools.Small("short-lived"));

        await pool.Delete(force: false);

        Assert.Empty(await cluster.GrainFactory.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.PoolsKey).List(null, 10));
    }
}
