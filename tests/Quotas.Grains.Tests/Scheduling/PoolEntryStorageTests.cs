using Grains;
using Grains.Storage;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Grains.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

/// <summary>A pool is stored as one entry per job; what a new silo reads back must be the pool as it was acknowledged.</summary>
public sealed class PoolEntryStorageTests
{
    public static TheoryData<string> Databases => ["sqlite", "postgresql"];

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task Every_kind_of_change_reads_back_the_same_on_a_new_silo(string database)
    {
        var options = QuotaClusters.Options(database == "sqlite" ? TestStorage.Sqlite() : TestStorage.PostgreSql());
        const string poolId = "lifecycle";
        List<JobInfo> before;
        TenantUsage[] usageBefore;
        await using (var first = await TestCluster.StartAsync(options))
        {
            var pool = first.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);
            await pool.Configure(Pools.Small(poolId) with { MaxFinishedJobs = 3 });
            for (var i = 0; i < 12; i++)
            {
                await pool.Submit(Pools.Job(i % 3 == 0 ? Pools.Beta : Pools.Alpha, $"job-{i}", priority: i % 2));
            }

            var leases = await pool.LeaseJobs("w1", ResourceVector.Of(("cpu_millicores", 3000), ("memory_mb", 8192)), TimeSpan.FromMinutes(5), 10);
            Assert.Equal(3, leases.Count);
            await pool.Heartbeat("w1", [leases[0].JobId], TimeSpan.FromMinutes(9));
            await pool.Complete(leases[1].JobId, JobOutcome.Succeeded, ResourceVector.Of(("cpu_millicores", 700), ("memory_mb", 100)));
            await pool.Complete(leases[2].JobId, JobOutcome.Preempted, null);
            await pool.Cancel(new JobId(5));
            await pool.Cancel(new JobId(6));
            await pool.Cancel(new JobId(7));
            await pool.Cancel(new JobId(8));

            // Rebuilt with a larger capacity: the next write stores the whole pool, dropping nothing it should keep.
            await pool.Configure(Pools.Small(poolId) with { MaxFinishedJobs = 3, Capacity = ResourceVector.Of(("cpu_millicores", 6000), ("memory_mb", 8192)) });
            await pool.Submit(Pools.Job(Pools.Beta, "after-reconfigure"));
            await pool.Complete(leases[0].JobId, JobOutcome.Failed, null);

            before = await AllJobsAsync(pool);
            usageBefore = [await pool.GetTenantUsage(Pools.Alpha), await pool.GetTenantUsage(Pools.Beta)];
            await first.PrimarySilo.Silo.KillAsync();
        }

        await using var second = await TestCluster.StartAsync(options);
        var reopened = second.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);

        Assert.Equal(6000, (await reopened.GetConfig())!.Capacity["cpu_millicores"]);
        Assert.Equal(before, await AllJobsAsync(reopened));
        Assert.Equal(usageBefore.Select(Describe), new[] { await reopened.GetTenantUsage(Pools.Alpha), await reopened.GetTenantUsage(Pools.Beta) }.Select(Describe));
        Assert.Null(await reopened.GetJob(new JobId(6)));
        var storage = (IGrainEntryStorage)second.PrimarySilo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        var stored = await storage.ReadEntriesAsync<PoolRecord>(new GrainStateKey(GrainId.Create(FairShareSchedulerGrain.GrainTypeName, poolId), "pool-entries"), default);
        Assert.Equal(before.Select(j => $"job/{j.Id}").Order(), stored.Entries.Keys.Where(k => k.StartsWith("job/", StringComparison.Ordinal)).Order());
        var next = await reopened.Submit(Pools.Job(Pools.Alpha, "after-restart"));
        Assert.Equal(before.Max(j => j.Id.Value) + 1, next.Job.Id.Value);
    }

    /// <summary>
    /// A stored pool that reads but that this release refuses to restore (here, a configuration of 0 attempts, which
    /// it does not accept) fails as unreadable stored state, naming the pool and its rows, not as the caller's mistake.
    /// </summary>
    [Fact]
    public async Task A_stored_pool_that_cannot_be_restored_fails_as_unreadable_state_and_names_its_rows()
    {
        var storage = TestStorage.Sqlite();
        await using var cluster = await QuotaClusters.StartAsync(storage, time: new ManualTimeProvider());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("refused");
        await pool.Configure(Pools.Small("refused"));
        await pool.Submit(Pools.Job(Pools.Alpha, "kept"));
        Assert.True(await cluster.PrimarySilo.Silo.CollectIdleActivationsAsync(TimeSpan.Zero) >= 1);
        Assert.Equal(1, await storage.ExecuteAsync(
            "UPDATE grains_storage_entries SET payload = replace(payload, '\"maxAttempts\":5', '\"maxAttempts\":0') " +
            "WHERE grain_type = 'pool' AND grain_key = 'refused' AND entry_key = 'config' AND payload LIKE '%\"maxAttempts\":5%'"));

        var failed = await Assert.ThrowsAsync<GrainStateSerializationException>(() => pool.GetJob(new JobId(1)));

        Assert.Contains("pool 'refused'", failed.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts must be greater than 0", failed.Message, StringComparison.Ordinal);
    }

    /// <summary>Entries changed outside the service into what no pool writes fail the same way, naming the entry and what is wrong.</summary>
    [Theory]
    [InlineData("UPDATE grains_storage_entries SET entry_key = 'job/7' WHERE grain_type = 'pool' AND grain_key = 'damaged' AND entry_key = 'job/1'",
        "Stored entry 'job/7' cannot be restored: it holds job 1, whose entry is 'job/1'")]
    [InlineData("INSERT INTO grains_storage_entries (service_id, grain_type, grain_key, state_name, entry_key, payload) SELECT service_id, grain_type, grain_key, state_name, 'leases/x', '{\"tenantLeases\":[\"l\"]}' FROM grains_storage_entries WHERE grain_type = 'pool' AND grain_key = 'damaged' AND entry_key = 'job/1'",
        "Stored entry 'leases/x' cannot be restored: its key names no job id")]
    [InlineData("UPDATE grains_storage_entries SET payload = replace(payload, '\"workerId\":\"w1\"', '\"workerId\":null') WHERE grain_type = 'pool' AND grain_key = 'damaged' AND entry_key = 'job/1'",
        "Stored job 1 of tenant 'alpha' cannot be restored: it is running but names no worker")]
    public async Task A_stored_entry_no_pool_could_have_written_fails_as_unreadable_state_and_names_it(string damage, string reason)
    {
        var storage = TestStorage.Sqlite();
        await using var cluster = await QuotaClusters.StartAsync(storage, time: new ManualTimeProvider());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("damaged");
        await pool.Configure(Pools.Small("damaged"));
        await pool.Submit(Pools.Job(Pools.Alpha, "kept"));
        Assert.Single(await pool.LeaseJobs("w1", ResourceVector.Of(("cpu_millicores", 1000), ("memory_mb", 1024)), TimeSpan.FromMinutes(5), 1));
        await cluster.RestartAsync(); // a pool with a running job is not collected when idle
        Assert.Equal(1, await storage.ExecuteAsync(damage));
        pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("damaged");

        var failed = await Assert.ThrowsAsync<GrainStateSerializationException>(() => pool.GetJob(new JobId(1)));

        Assert.Contains("pool 'damaged'", failed.Message, StringComparison.Ordinal);
        Assert.Contains(reason, failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pool_stored_whole_by_an_earlier_version_is_moved_into_entries()
    {
        var options = QuotaClusters.Options(TestStorage.Sqlite());
        const string poolId = "legacy";
        var legacy = new FairShareScheduler(Pools.Small(poolId));
        for (var i = 0; i < 5; i++)
        {
            legacy.Submit(Pools.Job(Pools.Alpha, $"old-{i}"), DateTimeOffset.UtcNow);
        }

        var key = new GrainStateKey(GrainId.Create(FairShareSchedulerGrain.GrainTypeName, poolId), "pool");
        await using (var first = await TestCluster.StartAsync(options))
        {
            var storage = first.PrimarySilo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
            await storage.WriteAsync(key, new LegacyPoolState { Snapshot = legacy.ToSnapshot(), TenantLeases = [] }, null, null, default);

            var pool = first.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);
            Assert.Equal(5, (await pool.GetTenantUsage(Pools.Alpha)).QueuedJobs);
            Assert.False((await storage.ReadAsync<LegacyPoolState>(key, default)).RecordExists);
            await first.PrimarySilo.Silo.KillAsync();
        }

        await using var second = await TestCluster.StartAsync(options);
        var reopened = second.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);
        Assert.Equal(5, (await reopened.GetTenantUsage(Pools.Alpha)).QueuedJobs);
        Assert.False((await reopened.Submit(Pools.Job(Pools.Alpha, "old-3"))).Created);
    }

    /// <summary>
    /// An old whole-pool record left behind (the activation that moved it into entries crashed before clearing it) is
    /// not moved again over newer entries: here the pool was deleted since, and stays deleted, with its job ids going on
    /// from where the entries say; the old record is cleared.
    /// </summary>
    [Fact]
    public async Task An_old_whole_pool_record_left_behind_does_not_bring_a_deleted_pool_back()
    {
        var options = QuotaClusters.Options(TestStorage.Sqlite());
        const string poolId = "legacy-deleted";
        var legacy = new FairShareScheduler(Pools.Small(poolId));
        legacy.Submit(Pools.Job(Pools.Alpha, "old-0"), DateTimeOffset.UtcNow);
        var grain = GrainId.Create(FairShareSchedulerGrain.GrainTypeName, poolId);
        await using var cluster = await TestCluster.StartAsync(options);
        var storage = cluster.PrimarySilo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        await storage.WriteAsync(new GrainStateKey(grain, "pool"), new LegacyPoolState { Snapshot = legacy.ToSnapshot(), TenantLeases = [] }, null, null, default);
        await ((IGrainEntryStorage)storage).WriteEntriesAsync<PoolRecord>(
            new GrainStateKey(grain, "pool-entries"),
            [new("sequence", new PoolRecord { NextJobId = 100 }), new("deleted", new PoolRecord { DeletedAt = DateTimeOffset.UtcNow })],
            null,
            default);

        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);

        Assert.Null(await pool.GetConfig());
        Assert.False((await storage.ReadAsync<LegacyPoolState>(new GrainStateKey(grain, "pool"), default)).RecordExists);
        await pool.Configure(Pools.Small(poolId));
        Assert.Equal(100, (await pool.Submit(Pools.Job(Pools.Alpha, "new-0"))).Job.Id.Value);
    }

    private static async Task<List<JobInfo>> AllJobsAsync(IFairShareSchedulerGrain pool)
    {
        var jobs = new List<JobInfo>();
        foreach (var tenant in new[] { Pools.Alpha, Pools.Beta })
        {
            string? cursor = null;
            do
            {
                var page = await pool.ListJobs(tenant, 2, cursor);
                jobs.AddRange(page.Jobs);
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }

        return [.. jobs.OrderBy(j => j.Id.Value)];
    }

    private static string Describe(TenantUsage usage) =>
        $"{usage.Tenant} queued={usage.QueuedJobs} leased={usage.LeasedJobs} completed={usage.CompletedJobs} allocated={usage.Allocated} reported={usage.ReportedUsage} share={usage.WeightedShare:R}";
}
