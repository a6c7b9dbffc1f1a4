using Grains;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Grains.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class SchedulerDurabilityTests
{
    public static TheoryData<string> Databases => ["sqlite", "postgresql"];

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task Acknowledged_submits_survive_a_new_silo_on_the_same_database(string database)
    {
        var storage = database == "sqlite" ? TestStorage.Sqlite() : TestStorage.PostgreSql();
        var options = QuotaClusters.Options(storage);
        await using (var first = await TestCluster.StartAsync(options))
        {
            var pool = first.GrainFactory.GetGrain<IFairShareSchedulerGrain>("durable");
            await pool.Configure(Pools.Small("durable"));
            for (var i = 0; i < 20; i++)
            {
                await pool.Submit(Pools.Job(i % 2 == 0 ? Pools.Alpha : Pools.Beta, $"job-{i}"));
            }

            await first.PrimarySilo.Silo.KillAsync();
        }

        await using var second = await TestCluster.StartAsync(options);
        var reopened = second.GrainFactory.GetGrain<IFairShareSchedulerGrain>("durable");
        Assert.Equal(10, (await reopened.GetTenantUsage(Pools.Alpha)).QueuedJobs);
        Assert.Equal(10, (await reopened.GetTenantUsage(Pools.Beta)).QueuedJobs);
    }

    [Fact]
    public async Task Concurrent_submits_share_writes_and_every_acknowledged_one_survives_a_kill()
    {
        var options = QuotaClusters.Options(TestStorage.Sqlite());
        await using (var first = await TestCluster.StartAsync(options))
        {
            var pool = first.GrainFactory.GetGrain<IFairShareSchedulerGrain>("burst");
            await pool.Configure(Pools.Small("burst"));
            var submits = Enumerable.Range(0, 200).Select(i => Task.Run(() => pool.Submit(Pools.Job(i % 2 == 0 ? Pools.Alpha : Pools.Beta, $"job-{i}"))));
            var results = await Task.WhenAll(submits);
            Assert.Equal(200, results.Select(r => r.Job.Id).Distinct().Count());
            await first.PrimarySilo.Silo.KillAsync();
        }

        await using var second = await TestCluster.StartAsync(options);
        var reopened = second.GrainFactory.GetGrain<IFairShareSchedulerGrain>("burst");
        Assert.Equal(100, (await reopened.GetTenantUsage(Pools.Alpha)).QueuedJobs);
        Assert.Equal(100, (await reopened.GetTenantUsage(Pools.Beta)).QueuedJobs);
    }

    [Fact]
    public async Task A_retried_submission_is_answered_only_once_the_job_it_finds_is_stored()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, new ManualTimeProvider());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("retried");
        await pool.Configure(Pools.Small("retried"));

        // The write that stores the job is held, and then fails, as a database that went away would.
        var write = new HeldWrite("pool", "retried", failWith: "injected write failure");
        faults.BeforeEntriesWrite = write.Gate;
        var first = pool.Submit(Pools.Job(Pools.Alpha, "k-1"));
        await write.Entered;

        // The caller timed out and retries meanwhile: the pool finds the job the first submission made in memory.
        var retry = pool.Submit(Pools.Job(Pools.Alpha, "k-1"));

        // Calls start in arrival order: once a later call is answered, the retry has found the job and waits.
        await pool.GetQueuedJobs();
        write.Proceed();

        // Neither is acknowledged: the job was never stored, and a retry after that creates it.
        await Assert.ThrowsAnyAsync<Exception>(() => first);
        await Assert.ThrowsAnyAsync<Exception>(() => retry);
        var again = await pool.Submit(Pools.Job(Pools.Alpha, "k-1"));
        Assert.True(again.Created);
    }

    [Fact]
    public async Task A_delete_that_found_the_pool_empty_refuses_when_the_cancel_that_emptied_it_fails_to_store()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, new ManualTimeProvider());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("emptied");
        await pool.Configure(Pools.Small("emptied"));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "last"))).Job;

        // The cancel of the last job empties the pool in memory; its write is held, and then fails.
        var write = new HeldWrite("pool", "emptied", failWith: "injected write failure");
        faults.BeforeEntriesWrite = write.Gate;
        var cancel = pool.Cancel(job.Id);
        await write.Entered;
        var delete = pool.Delete(force: false);

        // Calls start in arrival order: once a later call is answered, the delete has found the pool empty and waits.
        await pool.GetConfig();
        write.Proceed();

        await Assert.ThrowsAnyAsync<Exception>(() => cancel);
        Assert.Equal(SchedulingErrorCodes.PoolNotEmpty, (await Assert.ThrowsAsync<SchedulingException>(() => delete)).Code);
        Assert.Equal(JobState.Queued, (await pool.GetJob(job.Id))!.State);
    }

    [Fact]
    public async Task Queued_jobs_survive_killing_the_silo_that_holds_the_pool()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.PostgreSql(), silos: 3);
        await using var client = await cluster.CreateClientAsync();
        const string poolId = "killed";
        var pool = client.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);
        await pool.Configure(Pools.Small(poolId));
        for (var i = 0; i < 50; i++)
        {
            await pool.Submit(Pools.Job(Pools.Alpha, $"job-{i}"));
        }

        var owner = client.Client.Membership.Ring.GetOwner(GrainId.Create(FairShareSchedulerGrain.GrainTypeName, poolId));
        var victim = cluster.Silos.Single(s => s.Address == owner);
        Assert.Equal(1, victim.Silo.ActivationCountsByType().GetValueOrDefault(FairShareSchedulerGrain.GrainTypeName));
        await cluster.KillSiloAsync(victim);
        await cluster.WaitForStableMembershipAsync(TimeSpan.FromSeconds(30));

        var usage = await pool.GetTenantUsage(Pools.Alpha);
        Assert.Equal(50, usage.QueuedJobs);
        var retried = await pool.Submit(Pools.Job(Pools.Alpha, "job-7"));
        Assert.False(retried.Created);
    }
}
