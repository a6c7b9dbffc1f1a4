using Grains.Testing;
using Npgsql;
using Quotas.Contracts;
using Quotas.Core.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class PoolDeleteRaceTests
{
    /// <summary>
    /// A delete is held inside its storage step by a row lock taken from outside (on the pool's version row, which
    /// every write of the pool updates first); a configuration sent meanwhile must be refused, not created in memory and
    /// then wiped from storage by the rest of the delete.
    /// </summary>
    [Fact]
    public async Task A_configuration_sent_while_a_delete_runs_is_refused_and_the_pool_can_be_created_once_it_has_ended()
    {
        var storage = TestStorage.PostgreSql();
        await using var cluster = await QuotaClusters.StartAsync(storage);
        var poolId = "deleting-" + Guid.NewGuid().ToString("N")[..12];
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);
        await pool.Configure(Pools.Small(poolId));

        await using var connection = new NpgsqlConnection(storage.ConnectionString);
        await connection.OpenAsync();
        Task delete;
        await using (var hold = await connection.BeginTransactionAsync())
        {
            await using (var lockRow = new NpgsqlCommand("SELECT version FROM grains_storage WHERE grain_type = 'pool' AND grain_key = @key FOR UPDATE", connection, hold))
            {
                lockRow.Parameters.AddWithValue("key", poolId);
                Assert.NotNull(await lockRow.ExecuteScalarAsync());
            }

            delete = pool.Delete(force: false);
            await PostgreSqlLockWaits.UntilWaitingAsync(storage.ConnectionString, "UPDATE grains_storage");

            var refused = await Assert.ThrowsAsync<SchedulingException>(() => pool.Configure(Pools.Small(poolId)));
            Assert.Equal(SchedulingErrorCodes.PoolBeingDeleted, refused.Code);
            await hold.RollbackAsync();
        }

        await delete;
        Assert.Null(await pool.GetConfig());
        await pool.Configure(Pools.Small(poolId));
        Assert.NotNull(await pool.GetConfig());
    }
}
