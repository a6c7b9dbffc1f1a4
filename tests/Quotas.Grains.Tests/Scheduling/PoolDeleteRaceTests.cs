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
            await WaitUntilBlockedOnTheLockAsync(storage.ConnectionString);

            var refused = await Assert.ThrowsAsync<SchedulingException>(() => pool.Configure(Pools.Small(poolId)));
            Assert.Equal(SchedulingErrorCodes.PoolBeingDeleted, refused.Code);
            await hold.RollbackAsync();
        }

        await delete;
        Assert.Null(await pool.GetConfig());
        await pool.Configure(Pools.Small(poolId));
        Assert.NotNull(await pool.GetConfig());
    }

    /// <summary>Waits (polling the server, at most 30 s) until another session waits for a row lock while updating a stored grain (the test holds only the pool's).</summary>
    private static async Task WaitUntilBlockedOnTheLockAsync(string connectionString)
    {
        await using var watcher = new NpgsqlConnection(connectionString);
        await watcher.OpenAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            await using var waiting = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE grains_storage%' AND datname = current_database()",
                watcher);
            if ((long)(await waiting.ExecuteScalarAsync(deadline.Token))! > 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
        }
    }
}
