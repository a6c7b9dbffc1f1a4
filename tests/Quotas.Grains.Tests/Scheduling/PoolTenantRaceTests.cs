using Grains;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using Quotas.Grains.Scheduling;
using static Quotas.Grains.Tests.Scheduling.PoolRaces;

namespace Quotas.Grains.Tests.Scheduling;

/// <summary>A pool and its tenants interleaving: deletes of either, a lease in flight, failed writes, a job leased again.</summary>
public sealed class PoolTenantRaceTests
{
    /// <summary>
    /// Submits and leases alpha's job "a-0", then its worker reports it (<paramref name="outcome"/>) while the tenant
    /// cannot be reached: the report is answered <paramref name="expected"/>, and the job's lease set apart to release later.
    /// </summary>
    private static async Task<JobInfo> EndWhileTenantUnreachableAsync(IFairShareSchedulerGrain pool, StorageFaults faults, JobOutcome outcome, CompletionStatus expected)
    {
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));
        faults.FailWritesOf = "tenant";
        Assert.Equal(expected, (await pool.Complete(job.Id, outcome, null)).Status);
        faults.FailWritesOf = null;
        return job;
    }

    private static TenantConfig Beta(long concurrentJobs) =>
        TenantConfig.Create("beta", Tier.Unlimited, QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(concurrentJobs)));

    [Fact]
    public async Task Deleting_a_tenant_does_not_time_out_on_a_pool_that_settles_with_it_while_activating()
    {
        var faults = new StorageFaults();
        var options = QuotaClusters.Options(TestStorage.Sqlite());
        options.ConfigureServices = faults.Install;
        options.ConfigureGrains = grains => grains.ResponseTimeout = TimeSpan.FromSeconds(5);
        await using var cluster = await TestCluster.StartAsync(options);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(Alpha());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("activating");
        await pool.Configure(Pools.Small("activating"));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));

        // The job completes while the tenant cannot be reached: the pool stores the debt for later.
        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(job.Id, JobOutcome.Succeeded, null)).Status);

        // The silo restarts: the pool is no longer active and pays its debt on its next activation.
        await cluster.RestartAsync();
        faults.FailWritesOf = null;
        alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Suspend();

        // Delete → pool.RemoveTenant activates the pool, whose activation calls alpha (busy in Delete): neither answers.
        var failure = await Record.ExceptionAsync(() => alpha.Delete(force: true));

        Assert.Null(failure);
    }

    [Fact]
    public async Task Tenant_leases_whose_release_failed_are_not_forgotten_when_a_later_pool_write_fails()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "forgetful");
        await using var _ = cluster;
        await EndWhileTenantUnreachableAsync(pool, faults, JobOutcome.Succeeded, CompletionStatus.Completed);

        // A later write stores that the job holds no lease; the one after fails, and memory goes back to storage.
        Assert.True((await pool.Submit(Pools.Job(Pools.Alpha, "a-1", cpu: 100))).Created);
        var failed = 0;
        faults.BeforeEntriesWrite = key => key.GrainId.Type == "pool" && Interlocked.Exchange(ref failed, 1) == 0
            ? throw new InvalidOperationException("the pool's store failed")
            : Task.CompletedTask;
        await Assert.ThrowsAnyAsync<Exception>(() => pool.Submit(Pools.Job(Pools.Alpha, "a-2", cpu: 100)));

        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => Gauge(s, "concurrent_jobs") == 0 && Budget(s, "jobs") == 1);

        Assert.Equal(1, Budget(stats, "jobs"));
        Assert.Equal(0, Gauge(stats, "concurrent_jobs"));
    }

    [Fact]
    public async Task Tenant_leases_whose_release_failed_are_released_after_the_silo_restarts()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "restarted");
        await using var _ = cluster;

        // A later write stores that the job holds no lease.
        await EndWhileTenantUnreachableAsync(pool, faults, JobOutcome.Succeeded, CompletionStatus.Completed);
        Assert.True((await pool.Submit(Pools.Job(Pools.Alpha, "a-1", cpu: 100))).Created);
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));

        // The silo goes before any sweep released it: the pool's next activation does, well before the lease's own
        // time to live (20 minutes) would.
        await cluster.RestartAsync();
        alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("restarted");
        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => Gauge(s, "concurrent_jobs") == 0 && Budget(s, "jobs") == 1);

        Assert.Equal(0, Gauge(stats, "concurrent_jobs"));
        Assert.Equal(1, Budget(stats, "jobs"));
    }

    /// <summary>
    /// The silo goes while the tenant releases a completed job's leases, after another call stored the pool: that write
    /// stored them as still to release, so the pool's next activation releases them, well before their time to live
    /// (20 minutes). That write used to drop them with the job's held leases: the tenant counted them till then.
    /// </summary>
    [Fact]
    public async Task Tenant_leases_the_silo_was_releasing_when_it_went_are_released_after_it_restarts()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "mid-release");
        await using var _ = cluster;
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));

        var release = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = release.Gate;
        var completing = pool.Complete(job.Id, JobOutcome.Succeeded, null); // it ends with the silo
        await release.Entered;
        Assert.True((await pool.Submit(Pools.Job(Pools.Alpha, "a-1", cpu: 100))).Created);
        await cluster.PrimarySilo.KillAsync();
        faults.BeforeWrite = null;

        await cluster.StartAdditionalSiloAsync();
        alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("mid-release");
        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => Gauge(s, "concurrent_jobs") == 0);

        Assert.Equal(0, Gauge(stats, "concurrent_jobs"));
        Assert.Equal(JobState.Succeeded, (await pool.GetJob(job.Id))!.State);
        Assert.False(completing.IsCompletedSuccessfully);
    }

    /// <summary>
    /// A pool deleted with force gives back its cancelled jobs' quota leases before it retires: by the time its last
    /// write begins, its tenant holds none of them, so a silo lost after that write leaves nothing held. It used to
    /// retire first and give them back after, and a silo lost in between left them to run out with their time to live.
    /// </summary>
    [Fact]
    public async Task A_forced_delete_gives_back_its_cancelled_jobs_quota_leases_before_it_retires()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "force-order");
        await using var _ = cluster;
        await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100));
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));

        // The delete's writes: the cancel, then the retirement, which is held.
        var retire = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writes = 0;
        faults.BeforeEntriesWrite = async key =>
        {
            if (key.GrainId.Type == "pool" && Interlocked.Increment(ref writes) == 2)
            {
                retire.SetResult();
                await proceed.Task;
            }
        };
        var deleting = pool.Delete(force: true);
        await retire.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var atRetirement = Gauge(await alpha.GetStats(), "concurrent_jobs");
        proceed.SetResult();
        await deleting;

        Assert.Equal(0, atRetirement);
        Assert.Null(await pool.GetConfig());
    }

    [Fact]
    public async Task A_job_requeued_while_its_leases_could_not_be_released_is_leased_again_without_its_tenant_counting_them()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "again", Alpha(concurrentJobs: 1));
        await using var _ = cluster;
        var job = await EndWhileTenantUnreachableAsync(pool, faults, JobOutcome.Preempted, CompletionStatus.Requeued);

        // Leased again before any sweep: the tenant, at its limit of one running job, is not refused by its own old lease.
        var again = Assert.Single(await pool.LeaseJobs("w2", Worker, TimeSpan.FromMinutes(10), 10));

        Assert.Equal(job.Id, again.JobId);
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }

    [Fact]
    public async Task Tenant_leases_granted_to_a_lease_whose_write_fails_go_back_and_the_job_waits_without_an_expiry()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "unstored");
        await using var _ = cluster;
        var beta = cluster.GrainFactory.GetGrain<ITenantGrain>("beta");
        await beta.Create(Beta(concurrentJobs: 1));
        Assert.True((await beta.Acquire("concurrent_jobs", 1, TimeSpan.FromHours(1), null)).IsAllowed); // beta refuses the pool
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        var refused = (await pool.Submit(Pools.Job(Pools.Beta, "b-0", cpu: 100))).Job;

        // The lease is stored; the write that stores the tenant's grant with it fails.
        var writes = 0;
        faults.BeforeEntriesWrite = key => key.GrainId.Type == "pool" && Interlocked.Increment(ref writes) == 2
            ? throw new InvalidOperationException("injected write failure")
            : Task.CompletedTask;
        await Assert.ThrowsAnyAsync<Exception>(() => pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        faults.BeforeEntriesWrite = null;

        // No worker got either job: the tenant holds nothing for alpha's, and both wait to be leased, no expiry counted.
        Assert.Equal(0, Gauge(await alpha.GetStats(), "concurrent_jobs"));
        foreach (var id in new[] { job.Id, refused.Id })
        {
            var waiting = await pool.GetJob(id);
            Assert.Equal(JobState.Queued, waiting!.State);
            Assert.Equal(0, waiting.Expiries);
        }

        var again = Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        Assert.Equal(job.Id, again.JobId);
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }

    /// <param name="tenantAnswers">
    /// Whether alpha answers the pool once deleted; if not, the pool stops waiting for it first, and refuses the
    /// submission to be retried rather than take a job for a tenant it removed lately.
    /// </param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_submission_in_flight_while_its_suspended_tenant_is_deleted_does_not_outlive_the_delete(bool tenantAnswers)
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "late", TenantConfig.Create("alpha", Tier.Basic));
        await using var _ = cluster;
        await alpha.Suspend();

        // The delete is held at its last write, after every pool has forgotten alpha's jobs.
        var write = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = write.Gate;
        var deleting = alpha.Delete(force: false);
        await write.Entered;

        // A submission of the suspended tenant arrives meanwhile: the pool asks alpha its status.
        var submitting = pool.Submit(Pools.Job(Pools.Alpha, "late", cpu: 100));
        if (!tenantAnswers)
        {
            await pool.GetConfig(); // the pool is reentrant: a later call answered means the submission waits on alpha
            time.Advance(TimeSpan.FromSeconds(3));
            Assert.Equal(SchedulingErrorCodes.TenantUnavailable, (await Assert.ThrowsAsync<SchedulingException>(() => submitting)).Code);
        }

        write.Proceed();
        await deleting;
        await Record.ExceptionAsync(() => submitting);

        // The tenant is deleted (and may be created again under its id): no job of it may be left in the pool.
        Assert.Empty((await pool.ListJobs(Pools.Alpha, 10, null)).Jobs);
    }

    /// <summary>
    /// The pool learns a deletion from the tenant itself, not only from the removal it took part in: a pool activated
    /// after the delete (its memory of removed tenants gone) refuses the deleted tenant, and still takes a tenant that
    /// never had a TenantGrain (it runs on the pool's limits alone).
    /// </summary>
    [Fact]
    public async Task A_pool_activated_after_its_tenant_was_deleted_refuses_the_deleted_tenant()
    {
        var (cluster, alpha, pool) = await StartAsync(new StorageFaults(), new ManualTimeProvider(), "after-delete", TenantConfig.Create("alpha", Tier.Basic));
        await using var _ = cluster;
        await pool.Submit(Pools.Job(Pools.Alpha, "before", cpu: 100));
        await alpha.Suspend();
        await alpha.Delete(force: false);
        Assert.True(await cluster.PrimarySilo.Silo.CollectIdleActivationsAsync(TimeSpan.Zero) >= 1);
        await cluster.PrimarySilo.Silo.ActivationGoneAsync(GrainId.Create(FairShareSchedulerGrain.GrainTypeName, "after-delete")).WaitAsync(TimeSpan.FromSeconds(30));

        var refused = await Assert.ThrowsAsync<SchedulingException>(() => pool.Submit(Pools.Job(Pools.Alpha, "after", cpu: 100)));

        Assert.Equal(SchedulingErrorCodes.UnknownTenant, refused.Code);
        Assert.Contains("was deleted", refused.Message);
        Assert.Empty((await pool.ListJobs(Pools.Alpha, 10, null)).Jobs);
        Assert.True((await pool.Submit(Pools.Job(Pools.Beta, "never-created", cpu: 100))).Created);
    }

    [Fact]
    public async Task A_job_cancelled_while_its_tenant_granted_its_lease_is_queued_again_when_the_cancel_fails_to_store()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "strand");
        await using var _ = cluster;
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;

        // The lease is stored; alpha's grant of the job's quota lease is held at its write.
        var acquire = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = acquire.Gate;
        var leasing = pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        await acquire.Entered;

        // The job is cancelled meanwhile (the pool is reentrant); the cancel's write is held, and will fail.
        var cancelWrite = new HeldWrite("pool", "strand", failWith: "injected write failure");
        faults.BeforeEntriesWrite = cancelWrite.Gate;
        var cancel = pool.Cancel(job.Id);
        await cancelWrite.Entered;

        // The grant comes; the job is cancelled, so the grant goes back to alpha, whose write is held in turn.
        var giveBack = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = giveBack.Gate;
        acquire.Proceed();
        await giveBack.Entered;

        // The cancel fails to store: memory goes back to the stored pool, where the job is leased to w1.
        cancelWrite.Proceed();
        await Assert.ThrowsAnyAsync<Exception>(() => cancel);
        giveBack.Proceed();

        // w1 does not get the job, so the job must not stay leased to it until the lease runs out.
        Assert.Empty(await leasing);
        var after = (await pool.GetJob(job.Id))!;
        Assert.Equal((JobState.Queued, 0), (after.State, after.Expiries));
        Assert.Equal(0, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }

    [Fact]
    public async Task The_quota_leases_of_a_preempted_job_leased_again_before_its_report_settled_go_back_to_its_tenant()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "again", TenantConfig.Create(
            "alpha", Tier.Unlimited, QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(1))));
        await using var _ = cluster;
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));

        // w1 reports the job preempted; the report's write is held, and w2 leases the job again meanwhile.
        var write = new HeldWrite("pool", "again");
        faults.BeforeEntriesWrite = write.Gate;
        var report = pool.CompleteReportedBy("w1", job.Id, JobOutcome.Preempted, null);
        await write.Entered;
        var leasing = pool.LeaseJobs("w2", Worker, TimeSpan.FromMinutes(1), 10);
        await pool.GetConfig(); // the pool is reentrant: a later call answered means the lease is taken in memory
        write.Proceed();
        Assert.Equal(CompletionStatus.Requeued, (await report).Status);
        var leased = await leasing;

        // Whether alpha granted w2's lease or refused it while w1's was still counted, what alpha counts is what runs.
        var running = (await pool.GetJob(job.Id))!.State == JobState.Leased ? 1 : 0;
        Assert.Equal(leased.Count, running);
        Assert.Equal(running, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }

    [Fact]
    public async Task Tenant_leases_granted_to_a_lease_in_flight_while_the_pool_is_force_deleted_are_released()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "leasing");
        await using var _ = cluster;
        await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100));

        // The tenant's grant of the job's lease is held at its write.
        var write = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = write.Gate;
        var leasing = pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10);
        await write.Entered;

        // The pool is deleted with force meanwhile (it is reentrant).
        await pool.Delete(force: true);
        write.Proceed();
        await Record.ExceptionAsync(() => leasing);

        // The pool is gone and runs nothing: the tenant holds nothing for it.
        Assert.Null(await pool.GetConfig());
        Assert.Equal(0, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }

    [Fact]
    public async Task The_sweep_does_not_release_the_tenant_leases_of_an_expired_job_leased_again_while_it_released_another()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "expiring");
        await using var _ = cluster;
        var beta = cluster.GrainFactory.GetGrain<ITenantGrain>("beta");
        await beta.Create(Beta(concurrentJobs: 10));
        await pool.Submit(Pools.Job(Pools.Beta, "b-0", cpu: 3000));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Equal(2, (await pool.LeaseJobs("w1", Worker, TimeSpan.FromSeconds(5), 10)).Count);

        // Both leases expire; the sweep releases beta's job's tenant lease first, and beta's write is slow.
        var write = new HeldWrite("tenant", "beta");
        faults.BeforeWrite = write.Gate;
        time.Advance(TimeSpan.FromSeconds(6));
        await write.Entered;

        // Meanwhile w2 leases alpha's job again (only it fits), under a new tenant lease.
        var lease = Assert.Single(await pool.LeaseJobs("w2", ResourceVector.Of(("cpu_millicores", 500), ("memory_mb", 1024)), TimeSpan.FromMinutes(10), 10));
        Assert.Equal(job.Id, lease.JobId);
        write.Proceed();

        for (var second = 0; second < 10; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Record.ExceptionAsync(() => pool.Heartbeat("w2", [job.Id], TimeSpan.FromMinutes(10)));
        }

        var now = (await pool.GetJob(job.Id))!;
        Assert.Equal(JobState.Leased, now.State);
        Assert.Equal("w2", now.WorkerId);
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }

    [Fact]
    public async Task A_tenant_delete_that_fails_part_way_does_not_lose_the_usage_its_tenant_still_owes()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(Alpha());
        var first = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("a-pool");
        await first.Configure(Pools.Small("a-pool"));
        var second = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("b-pool");
        await second.Configure(Pools.Small("b-pool"));
        var job = (await first.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        await second.Submit(Pools.Job(Pools.Alpha, "b-0", cpu: 100));
        Assert.Single(await first.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));

        // The job completes while alpha cannot be reached: a-pool owes alpha its usage.
        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await first.Complete(job.Id, JobOutcome.Succeeded, null)).Status);
        faults.FailWritesOf = null;

        // alpha is deleted; a-pool forgets its jobs, b-pool's write fails, so the delete fails and alpha stays.
        await alpha.Suspend();
        faults.BeforeEntriesWrite = key => key.GrainId.Type == "pool" && key.GrainId.Key == "b-pool"
            ? throw new InvalidOperationException("b-pool's store failed")
            : Task.CompletedTask;
        await Assert.ThrowsAnyAsync<Exception>(() => alpha.Delete(force: true));
        faults.BeforeEntriesWrite = null;

        // The administrator activates alpha again instead: the job it ran is still charged.
        await alpha.Activate();
        var stats = await PoolSweeps.UntilAsync(time, first, alpha, s => Budget(s, "jobs") == 1);

        Assert.Equal(1, Budget(stats, "jobs"));
    }
}
