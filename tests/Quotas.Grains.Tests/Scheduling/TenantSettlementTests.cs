using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using Quotas.Grains.Scheduling;
using static Quotas.Grains.Tests.Scheduling.PoolRaces;

namespace Quotas.Grains.Tests.Scheduling;

/// <summary>
/// What a pool owes its tenants for the jobs it ran (usage recorded once, tenant leases released) is never lost nor
/// counted twice: not when the tenant cannot be reached, nor when the pool or the tenant is deleted and created again.
/// </summary>
public sealed class TenantSettlementTests
{
    private static TenantConfig Alpha(long concurrentJobs) => TenantConfig.Create(
        "alpha",
        Tier.Unlimited,
        QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(concurrentJobs)),
        QuotaDefinition.Budget("jobs", QuotaLimit.Hard(1000), BudgetPeriod.Day));

    /// <summary>
    /// A pool that still owes a tenant usage (and a release) stays in memory past the idle time while its sweep tries to
    /// settle them, for an hour at most: it was collected with them when no job ran, and nothing but a call to the pool
    /// brought it back; kept for good, a debt no tenant can take kept it, and its sweep's warnings, for ever.
    /// </summary>
    [Fact]
    public async Task A_pool_that_still_owes_its_tenant_stays_in_memory_while_idle_for_an_hour_at_most()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("owing", faults, time);
        var silo = run.Cluster.PrimarySilo.Silo;
        var poolId = global::Grains.GrainId.Create(FairShareSchedulerGrain.GrainTypeName, "owing");
        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await run.Pool.Complete(run.Job.Id, JobOutcome.Succeeded, null)).Status);

        // No call for 20 minutes, more than the idle time, while the tenant cannot store anything.
        await SweepAtAsync(TimeSpan.FromMinutes(20));
        await silo.CollectIdleActivationsAsync(TimeSpan.FromMinutes(15));
        Assert.Equal(1, silo.ActivationCountsByType().GetValueOrDefault(FairShareSchedulerGrain.GrainTypeName));

        // More than an hour since the sweep first found the debt unpaid (at the latest by the 20th minute).
        await SweepAtAsync(TimeSpan.FromMinutes(65));
        await silo.CollectIdleActivationsAsync(TimeSpan.FromMinutes(15));
        Assert.Equal(0, silo.ActivationCountsByType().GetValueOrDefault(FairShareSchedulerGrain.GrainTypeName));

        // A second at a time, each sweep run before the clock moves on, as a real clock gives it time to: in one jump the
        // silo's own collection (every minute) fired on the way while the pool's sweep, which runs on the thread pool and
        // is armed again from its end, lagged behind the clock, and it collected the pool at random.
        async Task SweepAtAsync(TimeSpan later)
        {
            for (var passed = TimeSpan.Zero; passed < later; passed += TimeSpan.FromSeconds(1))
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await silo.ActivationQuietAsync(poolId);
            }
        }
    }

    /// <summary>
    /// A completion whose tenant takes the charge but does not answer (its silo stalled) is answered within the pool's
    /// tenant timeout, and the charge, still on its way, is counted once when it lands: the completion waited for it
    /// up to its own response timeout and answered 504 although stored.
    /// </summary>
    [Fact]
    public async Task A_completion_answers_within_the_tenant_timeout_while_its_charge_waits_on_the_tenant_and_counts_once()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("slow-charge", faults, time);
        var charging = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var land = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var alphaWrites = 0;
        faults.BeforeWrite = async key =>
        {
            // The release of the job's tenant lease is stored; the charge after it waits.
            if (key.GrainId.Type == "tenant" && Interlocked.Increment(ref alphaWrites) == 2)
            {
                charging.SetResult();
                await land.Task;
            }
        };

        var completing = run.Pool.Complete(run.Job.Id, JobOutcome.Succeeded, null);
        await charging.Task.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(Grains.Scheduling.TenantAdmission.TenantCallTimeout);

        Assert.Equal(CompletionStatus.Completed, (await completing.WaitAsync(TimeSpan.FromSeconds(30))).Status);
        land.SetResult();
        var stats = await PoolSweeps.UntilAsync(time, run.Pool, run.Alpha, s => Budget(s, "jobs") > 0);
        Assert.Equal(1, Budget(stats, "jobs"));
        for (var second = 0; second < 3; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await run.Pool.GetQueuedJobs();
        }

        Assert.Equal(1, Budget(await run.Alpha.GetStats(), "jobs"));
    }

    /// <summary>
    /// A one-silo cluster on SQLite with tenant alpha, pool <paramref name="poolId"/> and one of alpha's jobs running;
    /// <paramref name="keepsNoFinishedJobs"/>: the pool forgets each job as it finishes.
    /// </summary>
    private static async Task<RunningJob> RunningJobAsync(string poolId, StorageFaults? faults = null, TimeProvider? time = null, bool keepsNoFinishedJobs = false)
    {
        var options = QuotaClusters.Options(TestStorage.Sqlite(), time: time);
        options.ConfigureServices = faults is null ? null : faults.Install;
        var cluster = await TestCluster.StartAsync(options);
        await cluster.GrainFactory.GetGrain<ITenantGrain>("alpha").Create(Alpha(concurrentJobs: 10));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>(poolId);
        await pool.Configure(keepsNoFinishedJobs ? Pools.Small(poolId) with { MaxFinishedJobs = 0 } : Pools.Small(poolId));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        return new RunningJob(cluster, poolId, job);
    }

    /// <summary>The cluster of <see cref="RunningJobAsync"/>; its grains are looked up afresh, so they work after a restart.</summary>
    private sealed record RunningJob(TestCluster Cluster, string PoolId, JobInfo Job) : IAsyncDisposable
    {
        public ITenantGrain Alpha => Cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");

        public IFairShareSchedulerGrain Pool => Cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>(PoolId);

        public ValueTask DisposeAsync() => Cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_pool_created_again_under_a_deleted_pools_id_numbers_its_jobs_on_so_its_tenant_holds_and_counts_them()
    {
        // Manual time: the two charges must fall in one day of the tenant's budget, however slow the restart.
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(Alpha(concurrentJobs: 1));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("reused");
        await pool.Configure(Pools.Small("reused"));
        var first = (await pool.Submit(Pools.Job(Pools.Alpha, "first", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(first.Id, JobOutcome.Succeeded, null)).Status);
        await pool.Delete(force: false);

        // The deleted pool's grain may be gone from memory too: the numbering is kept in storage.
        await cluster.RestartAsync();
        grains = cluster.GrainFactory;
        alpha = grains.GetGrain<ITenantGrain>("alpha");
        pool = grains.GetGrain<IFairShareSchedulerGrain>("reused");
        await pool.Configure(Pools.Small("reused"));
        var second = (await pool.Submit(Pools.Job(Pools.Alpha, "second", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        var heldWhileRunning = Gauge(await alpha.GetStats(), "concurrent_jobs");
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(second.Id, JobOutcome.Succeeded, null)).Status);

        Assert.True(second.Id.Value > first.Id.Value, $"job id {second.Id} was used before, by job {first.Id} of the deleted pool");
        Assert.Equal(1, heldWhileRunning);
        Assert.Equal(2, Budget(await alpha.GetStats(), "jobs"));
    }

    [Fact]
    public async Task A_completion_whose_tenant_cannot_be_reached_is_answered_and_its_usage_counted_once_by_the_sweep()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("unreachable", faults, time);
        var (alpha, pool, job) = (run.Alpha, run.Pool, run.Job);

        faults.FailWritesOf = "tenant";
        var completed = await pool.Complete(job.Id, JobOutcome.Succeeded, null);
        var whileFailing = await alpha.GetStats();

        // Stored, so answered; the tenant has neither the usage nor the release yet.
        Assert.Equal(CompletionStatus.Completed, completed.Status);
        Assert.Equal(0, Budget(whileFailing, "jobs"));
        Assert.Equal(1, Gauge(whileFailing, "concurrent_jobs"));

        // The sweep (every second) settles once the tenant can be reached. The pool is reentrant, so a call may see a
        // tick half done: time goes on a second at a time until both the usage and the release are in.
        faults.FailWritesOf = null;
        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => Budget(s, "jobs") > 0 && Gauge(s, "concurrent_jobs") == 0);

        Assert.Equal(1, Budget(stats, "jobs"));
        Assert.Equal(0, Gauge(stats, "concurrent_jobs"));

        // A report made again changes nothing, and neither do more sweeps.
        Assert.Equal(CompletionStatus.AlreadyCompleted, (await pool.Complete(job.Id, JobOutcome.Succeeded, null)).Status);
        time.Advance(TimeSpan.FromSeconds(1));
        await pool.GetQueuedJobs();
        Assert.Equal(1, Budget(await alpha.GetStats(), "jobs"));
    }

    /// <summary>
    /// Usage a pool still owed a tenant being deleted is handed to the tenant and stays owed until the tenant has stored
    /// it: a delete that fails to store it loses none of it, and the retried delete bills it once. So is the usage of a
    /// job the pool no longer keeps.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Usage_handed_to_a_deleting_tenant_that_fails_to_store_it_is_billed_by_the_retried_delete(bool keepsNoFinishedJobs)
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 10, 12, 0, 0, TimeSpan.Zero));
        var faults = new StorageFaults();
        await using var run = await OwedToSuspendedTenantAsync("handed-over", faults, time, keepsNoFinishedJobs);
        Assert.Equal(keepsNoFinishedJobs, await run.Pool.GetJob(run.Job.Id) is null);

        faults.FailWritesOf = "tenant";
        await Assert.ThrowsAsync<global::Grains.Storage.GrainStorageException>(() => run.Alpha.Delete(force: true));

        faults.FailWritesOf = null;
        await run.Alpha.Delete(force: true);
        Assert.Equal(1, Assert.Single((await run.Alpha.GetStatement(2026, 11)).Lines).Quantity);
    }

    /// <summary>
    /// A deleting tenant that stored the usage handed to it but could not tell the pool so fails its delete; the pool,
    /// still owing, hands the usage over again at the retry, and the tenant counts it once.
    /// </summary>
    [Fact]
    public async Task Usage_handed_again_to_a_deleting_tenant_that_stored_it_already_is_billed_once()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 10, 12, 0, 0, TimeSpan.Zero));
        var faults = new StorageFaults();
        await using var run = await OwedToSuspendedTenantAsync("handed-twice", faults, time);

        // Once the tenant has stored the usage, the pool's next write (that it no longer owes it) fails.
        faults.AfterWrite = key =>
        {
            if (key.GrainId.Type == "tenant")
            {
                faults.BeforeEntriesWrite = _ => Task.FromException(new global::Grains.Storage.GrainStorageException("injected write failure", null, isTransient: true));
            }
        };
        await Assert.ThrowsAsync<global::Grains.Storage.GrainStorageException>(() => run.Alpha.Delete(force: true));

        faults.AfterWrite = null;
        faults.BeforeEntriesWrite = null;
        await run.Alpha.Delete(force: true);
        Assert.Equal(1, Assert.Single((await run.Alpha.GetStatement(2026, 11)).Lines).Quantity);
    }

    /// <summary>A suspended alpha whose completed job's usage the pool still owes (the tenant's writes failed at the completion).</summary>
    private static async Task<RunningJob> OwedToSuspendedTenantAsync(string poolId, StorageFaults faults, ManualTimeProvider time, bool keepsNoFinishedJobs = false)
    {
        var run = await RunningJobAsync(poolId, faults, time, keepsNoFinishedJobs);
        await run.Alpha.Suspend();
        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await run.Pool.Complete(run.Job.Id, JobOutcome.Succeeded, null)).Status);
        faults.FailWritesOf = null;
        Assert.Equal(0, Budget(await run.Alpha.GetStats(), "jobs"));
        return run;
    }

    /// <summary>
    /// A job that completed before midnight and was charged after it, its tenant out of reach meanwhile, is billed in
    /// the hour (and month) it completed in; its budget, which decides what is admitted now, counts it when it arrives.
    /// </summary>
    [Fact]
    public async Task A_charge_that_arrives_after_midnight_is_billed_when_its_job_completed()
    {
        var beforeMidnight = new DateTimeOffset(2026, 11, 30, 23, 59, 50, TimeSpan.Zero);
        var time = new ManualTimeProvider(beforeMidnight);
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("late", faults, time);
        var (alpha, pool, job) = (run.Alpha, run.Pool, run.Job);

        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(job.Id, JobOutcome.Succeeded, null)).Status);
        time.Advance(TimeSpan.FromSeconds(20));
        faults.FailWritesOf = null;
        await PoolSweeps.UntilAsync(time, pool, alpha, s => Budget(s, "jobs") > 0);

        var hours = await alpha.GetUsageHistory(Core.Billing.RollupGranularity.Hour, beforeMidnight.AddHours(-1), beforeMidnight.AddHours(1), "jobs");
        Assert.Equal([new Core.Billing.UsageBucket("jobs", new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero), 1)], hours.Buckets);
        Assert.Equal(1, Assert.Single((await alpha.GetStatement(2026, 11)).Lines).Quantity);
    }

    [Fact]
    public async Task A_job_cancelled_while_it_runs_is_charged_as_one_finished_without_a_report_and_its_workers_report_counts_nothing_again()
    {
        await using var run = await RunningJobAsync("cancelled");
        var (alpha, pool, job) = (run.Alpha, run.Pool, run.Job);

        Assert.Equal(CancelStatus.Cancelled, await pool.Cancel(job.Id));
        var atCancel = await alpha.GetStats();
        var reported = await pool.CompleteReportedBy("w1", job.Id, JobOutcome.Failed, ResourceVector.Of(("cpu_ms", 1_500)));
        var stats = await alpha.GetStats();

        Assert.Equal(1, Budget(atCancel, "jobs"));
        Assert.Equal(0, Gauge(atCancel, "concurrent_jobs"));
        Assert.Equal(CompletionStatus.AlreadyCompleted, reported.Status);
        Assert.Equal(1, Budget(stats, "jobs"));
        Assert.Equal(0, Budget(stats, QuotaNames.CpuSeconds));
    }

    /// <summary>
    /// A job whose lease expired and that was cancelled while queued again was charged nothing: the late report of the
    /// worker that ran it is charged, once.
    /// </summary>
    [Fact]
    public async Task A_job_cancelled_after_its_lease_expired_is_charged_by_its_workers_late_report_once()
    {
        var time = new ManualTimeProvider();
        await using var run = await RunningJobAsync("cancelled-late", time: time);
        var (alpha, pool, job) = (run.Alpha, run.Pool, run.Job);
        time.Advance(TimeSpan.FromMinutes(1));
        await PoolSweeps.UntilAsync(time, pool, alpha, s => Gauge(s, "concurrent_jobs") == 0);
        Assert.Equal(JobState.Queued, (await pool.GetJob(job.Id))?.State);
        Assert.Equal(CancelStatus.Cancelled, await pool.Cancel(job.Id));
        Assert.Equal(0, Budget(await alpha.GetStats(), "jobs"));

        var reported = await pool.CompleteReportedBy("w1", job.Id, JobOutcome.Succeeded, ResourceVector.Of(("cpu_ms", 1_500)));
        var again = await pool.CompleteReportedBy("w1", job.Id, JobOutcome.Succeeded, ResourceVector.Of(("cpu_ms", 1_500)));
        var stats = await alpha.GetStats();

        Assert.Equal(CompletionStatus.Completed, reported.Status);
        Assert.Equal(JobState.Cancelled, reported.Job?.State);
        Assert.Equal(CompletionStatus.AlreadyCompleted, again.Status);
        Assert.Equal(1, Budget(stats, "jobs"));
        Assert.Equal(2, Budget(stats, QuotaNames.CpuSeconds));
        Assert.Equal(0, Gauge(stats, "concurrent_jobs"));
    }

    [Fact]
    public async Task Cpu_time_reported_in_milliseconds_is_charged_to_the_tenant_s_cpu_seconds_budget_once()
    {
        await using var run = await RunningJobAsync("cpu");
        var (alpha, pool, job) = (run.Alpha, run.Pool, run.Job);

        var usage = ResourceVector.Of(("cpu_millicores", 100), ("cpu_ms", 42_600));
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(job.Id, JobOutcome.Succeeded, usage)).Status);
        Assert.Equal(CompletionStatus.AlreadyCompleted, (await pool.Complete(job.Id, JobOutcome.Succeeded, usage)).Status);
        Assert.Equal(43, Budget(await alpha.GetStats(), QuotaNames.CpuSeconds)); // every started second

        // A short job pays its second; a report in seconds is taken as it is, not converted again.
        await CompleteAnotherAsync("b-1", ResourceVector.Of(("cpu_ms", 400)));
        await CompleteAnotherAsync("b-2", ResourceVector.Of(("cpu_ms", 9_000), ("cpu_seconds", 5)));
        Assert.Equal(49, Budget(await alpha.GetStats(), QuotaNames.CpuSeconds));

        async Task CompleteAnotherAsync(string key, ResourceVector actual)
        {
            var next = (await pool.Submit(Pools.Job(Pools.Alpha, key, cpu: 100))).Job;
            Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
            Assert.Equal(CompletionStatus.Completed, (await pool.Complete(next.Id, JobOutcome.Succeeded, actual)).Status);
        }
    }

    [Fact]
    public void The_event_ids_a_job_may_have_been_charged_under_include_its_converted_cpu_seconds()
    {
        var job = new JobInfo(
            new JobId(7), Pools.Alpha, ResourceVector.Of(("cpu_millicores", 100)), 0, "k", null, JobState.Succeeded, default, default, 1,
            ActualUsage: ResourceVector.Of(("cpu_millicores", 100), ("cpu_ms", 1_001)));
        var budgets = new HashSet<string>(["jobs", "cpu_seconds"]);

        var charges = JobCharges.Of("p", job, budgets);

        Assert.Equal([("job/p/7/jobs", "jobs", 1L), ("job/p/7/cpu_seconds", "cpu_seconds", 2L)], charges);
        Assert.Subset(JobCharges.EventIds("p", job).ToHashSet(), charges.Select(c => c.EventId).ToHashSet());
    }

    [Fact]
    public async Task Tenant_leases_of_a_job_the_pool_forgot_at_once_go_back_after_a_restart()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var options = QuotaClusters.Options(TestStorage.Sqlite(), time: time);
        options.ConfigureServices = faults.Install;
        await using var cluster = await TestCluster.StartAsync(options);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(Alpha(concurrentJobs: 10));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("forgets");
        await pool.Configure(Pools.Small("forgets") with { MaxFinishedJobs = 0 });
        var jobs = new List<JobInfo>();
        foreach (var key in new[] { "a-0", "a-1" })
        {
            jobs.Add((await pool.Submit(Pools.Job(Pools.Alpha, key, cpu: 100))).Job);
        }

        Assert.Equal(2, (await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10)).Count);

        // The tenant cannot be reached as the first job completes: the pool forgets the job at once (it keeps no
        // finished jobs), and its tenant leases are still stored as held when the silo restarts.
        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(jobs[0].Id, JobOutcome.Succeeded, null)).Status);
        Assert.Null(await pool.GetJob(jobs[0].Id));
        await cluster.RestartAsync();
        faults.FailWritesOf = null;
        alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("forgets");

        // Well within the leases' own time to live (2 minutes): the pool gives them back itself.
        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => Gauge(s, "concurrent_jobs") == 1);
        Assert.Equal(1, Gauge(stats, "concurrent_jobs"));

        // The second job is running when the pool is deleted: its leases go back too.
        await pool.Delete(force: true);
        Assert.Equal(0, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }

    [Fact]
    public async Task A_completion_reported_again_after_its_tenant_failed_settles_at_once_and_counts_once()
    {
        // Time stands still, so the pool's sweep never runs: only the repeated report can settle.
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("retried", faults, new ManualTimeProvider());
        var (alpha, pool, job) = (run.Alpha, run.Pool, run.Job);

        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(job.Id, JobOutcome.Succeeded, null)).Status);

        // While the tenant still fails, a report made again is answered the same (the charge stays owed); once the
        // tenant works, a report made again settles it.
        var whileFailing = await pool.Complete(job.Id, JobOutcome.Succeeded, null);
        var unpaid = Budget(await alpha.GetStats(), "jobs");
        faults.FailWritesOf = null;
        var retried = await pool.Complete(job.Id, JobOutcome.Succeeded, null);
        var stats = await alpha.GetStats();

        Assert.Equal(CompletionStatus.AlreadyCompleted, whileFailing.Status);
        Assert.Equal(0, unpaid);
        Assert.Equal(CompletionStatus.AlreadyCompleted, retried.Status);
        Assert.Equal(1, Budget(stats, "jobs"));
        Assert.Equal(0, Gauge(stats, "concurrent_jobs"));
    }

    [Fact]
    public async Task A_charge_paid_again_after_the_pools_write_failed_counts_once_however_many_events_the_tenant_recorded_meanwhile()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("recharged", faults, time);
        var (alpha, pool, job) = (run.Alpha, run.Pool, run.Job);
        await alpha.UpdateQuotas([.. Alpha(concurrentJobs: 10).Quotas, QuotaDefinition.Budget("events", QuotaLimit.Hard(1_000_000), BudgetPeriod.Day)]);

        // The completion is stored with its debt; the tenant is charged; the write storing the debt as paid fails, so
        // the pool goes back to owing it.
        var writes = 0;
        faults.BeforeEntriesWrite = key => key.GrainId.Type == "pool" && Interlocked.Increment(ref writes) == 2
            ? throw new InvalidOperationException("the pool's store failed")
            : Task.CompletedTask;
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(job.Id, JobOutcome.Succeeded, null)).Status);
        faults.BeforeEntriesWrite = null;
        Assert.Equal(2, writes);
        Assert.Equal(1, Budget(await alpha.GetStats(), "jobs"));

        // The tenant's callers record more events than it remembers of theirs; then the pool pays the debt again.
        for (var i = 0; i <= BudgetLedger.RememberedEventIds; i++)
        {
            await alpha.RecordUsage($"event-{i}", "events", 1);
        }

        Assert.Equal(CompletionStatus.AlreadyCompleted, (await pool.Complete(job.Id, JobOutcome.Succeeded, null)).Status);
        Assert.Equal(1, Budget(await alpha.GetStats(), "jobs"));

        // Once the debt is stored as paid, the pool's sweep tells the tenant to forget the charge (a tenant write).
        var told = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        faults.BeforeWrite = key =>
        {
            if (key.GrainId.Type == "tenant")
            {
                told.TrySetResult();
            }

            return Task.CompletedTask;
        };
        // The debt was stored as paid before this tick, so its sweep tells the tenant; the wait ends at the tenant's write.
        time.Advance(TimeSpan.FromSeconds(1));
        await pool.GetQueuedJobs();
        await told.Task.WaitAsync(TimeSpan.FromSeconds(30));
        faults.BeforeWrite = null;
        var charge = $"{TenantQuotas.PoolJobKeyPrefix}recharged/{job.Id}/jobs";
        Assert.False((await alpha.RecordUsage(charge, "jobs", 1)).Duplicate);
    }

    [Fact]
    public async Task A_usage_owed_when_the_silo_dies_is_recorded_by_the_pool_on_its_next_activation()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("crashed", faults, time);
        var job = run.Job;
        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await run.Pool.Complete(job.Id, JobOutcome.Succeeded, null)).Status);

        await run.Cluster.KillSiloAsync(run.Cluster.PrimarySilo);
        faults.FailWritesOf = null;
        await run.Cluster.StartAdditionalSiloAsync();
        var (alpha, pool) = (run.Alpha, run.Pool);
        Assert.Equal(JobState.Succeeded, (await pool.GetJob(job.Id))!.State);

        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => Budget(s, "jobs") > 0);

        Assert.Equal(1, Budget(stats, "jobs"));
    }

    /// <summary>
    /// A deleted tenant the pool's configuration does not list leaves nothing in the pool, in memory or stored: tenants
    /// created and deleted over a pool's life do not pile up in its standings or its rows.
    /// </summary>
    [Fact]
    public async Task A_deleted_tenant_the_pool_does_not_list_is_gone_from_its_standings_also_after_a_restart()
    {
        var options = QuotaClusters.Options(TestStorage.Sqlite());
        await using var cluster = await TestCluster.StartAsync(options);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(Alpha(concurrentJobs: 10));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("unlisted");
        await pool.Configure(Pools.Small("unlisted") with { Tenants = [new TenantShare(Pools.Beta)] });
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(job.Id, JobOutcome.Succeeded, null)).Status);
        Assert.Equal(["alpha", "beta"], (await pool.ListTenantUsage(10, null)).Tenants.Select(t => t.Tenant.Value));

        await alpha.Suspend();
        await alpha.Delete(force: true);
        var afterDelete = await pool.ListTenantUsage(10, null);
        await cluster.RestartAsync();
        pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("unlisted");
        var afterRestart = await pool.ListTenantUsage(10, null);

        Assert.Equal(["beta"], afterDelete.Tenants.Select(t => t.Tenant.Value));
        Assert.Equal(["beta"], afterRestart.Tenants.Select(t => t.Tenant.Value));
    }

    [Fact]
    public async Task A_pool_with_a_running_job_of_a_deleted_tenant_can_still_be_deleted()
    {
        await using var run = await RunningJobAsync("orphaned");
        var (alpha, pool) = (run.Alpha, run.Pool);
        await alpha.Suspend();
        await alpha.Delete(force: true);

        await pool.Delete(force: true);

        Assert.Null(await pool.GetConfig());
    }

    [Fact]
    public async Task A_pool_whose_delete_fails_to_store_runs_on_with_its_jobs_quota_leases_held_for_a_retried_delete()
    {
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("kept", faults);
        var (alpha, pool, job) = (run.Alpha, run.Pool, run.Job);

        // The write that deletes the pool fails: the pool stays as it was, its running job's tenant lease still held.
        faults.BeforeEntriesWrite = key => key.GrainId.Type == "pool" ? throw new InvalidOperationException("the pool's store failed") : Task.CompletedTask;
        await Assert.ThrowsAnyAsync<Exception>(() => pool.Delete(force: true));
        faults.BeforeEntriesWrite = null;
        Assert.NotNull(await pool.GetConfig());
        Assert.Equal(1, (await pool.GetTenantUsage(Pools.Alpha)).LeasedJobs);
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));
        var beat = await pool.Heartbeat("w1", [job.Id], TimeSpan.FromMinutes(1));
        Assert.Equal([job.Id], beat.Renewed);
        Assert.Empty(beat.Preempt);

        await pool.Delete(force: true);
        Assert.Null(await pool.GetConfig());
        Assert.Equal(0, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }

    /// <summary>
    /// A forced delete whose last write (the one that retires the pool) fails, after the write that cancelled its running
    /// jobs was stored, leaves the pool in place without those jobs: their charge is paid, their quota leases go back,
    /// and the pool, read again after a restart, is still there for a retried delete.
    /// </summary>
    [Fact]
    public async Task A_forced_delete_that_fails_to_retire_the_pool_leaves_it_with_its_jobs_cancelled_and_their_leases_given_back()
    {
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("half-deleted", faults);
        var (alpha, job) = (run.Alpha, run.Job);
        var poolWrites = 0;
        faults.BeforeEntriesWrite = key => key.GrainId.Type == "pool" && ++poolWrites == 2
            ? throw new InvalidOperationException("the pool's store failed")
            : Task.CompletedTask;

        await Assert.ThrowsAnyAsync<Exception>(() => run.Pool.Delete(force: true));
        faults.BeforeEntriesWrite = null;
        var stats = await alpha.GetStats();
        await run.Cluster.RestartAsync();

        Assert.Equal(1, Budget(stats, "jobs"));
        Assert.Equal(0, Gauge(stats, "concurrent_jobs"));
        Assert.NotNull(await run.Pool.GetConfig());
        Assert.Equal(JobState.Cancelled, (await run.Pool.GetJob(job.Id))?.State);
        await run.Pool.Delete(force: true);
        Assert.Null(await run.Pool.GetConfig());
        Assert.Equal(1, Budget(await run.Alpha.GetStats(), "jobs"));
    }

    /// <summary>A tenant that cannot take back the quota leases of a pool's running jobs does not stop the pool's delete: they run out with their TTL.</summary>
    [Fact]
    public async Task A_pool_is_deleted_though_a_tenant_cannot_take_back_its_running_jobs_quota_leases()
    {
        var faults = new StorageFaults();
        await using var run = await RunningJobAsync("released-late", faults);

        // The tenant stores the running job's charge, then cannot be reached.
        faults.AfterWrite = key =>
        {
            if (key.GrainId.Type == "tenant")
            {
                faults.FailWritesOf = "tenant";
            }
        };
        await run.Pool.Delete(force: true);
        faults.AfterWrite = null;
        faults.FailWritesOf = null;
        var stats = await run.Alpha.GetStats();

        Assert.Null(await run.Pool.GetConfig());
        Assert.Equal(1, Budget(stats, "jobs"));
        Assert.Equal(1, Gauge(stats, "concurrent_jobs"));
    }

    /// <summary>
    /// A pool deleted with force charges its running jobs as a cancel charges one (their demand, and one job each): the
    /// work it was running is not spared. A tenant that cannot be reached for the charge fails the delete, with the jobs
    /// cancelled and the charge kept; the pool, still there, settles both the charge and the jobs' quota leases once the
    /// tenant is back, and the retried delete bills nothing again.
    /// </summary>
    [Fact]
    public async Task A_pool_deleted_with_force_charges_its_running_jobs_once_though_its_tenant_was_out_of_reach_at_the_first_try()
    {
        var faults = new StorageFaults();
        var time = new ManualTimeProvider();
        await using var run = await RunningJobAsync("force-charged", faults, time);
        var (alpha, pool, job) = (run.Alpha, run.Pool, run.Job);

        faults.FailWritesOf = "tenant";
        await Assert.ThrowsAsync<global::Grains.Storage.GrainStorageException>(() => pool.Delete(force: true));
        faults.FailWritesOf = null;
        Assert.Equal(JobState.Cancelled, (await pool.GetJob(job.Id))?.State);
        Assert.Equal(Pools.Job(Pools.Alpha, "a-0", cpu: 100).Demand, (await pool.GetJob(job.Id))?.ActualUsage);
        var whileFailing = await alpha.GetStats();
        var settled = await PoolSweeps.UntilAsync(time, pool, alpha, s => Budget(s, "jobs") == 1 && Gauge(s, "concurrent_jobs") == 0);

        await pool.Delete(force: true);
        var stats = await alpha.GetStats();

        Assert.Equal(0, Budget(whileFailing, "jobs"));
        Assert.Equal(1, Gauge(whileFailing, "concurrent_jobs"));
        Assert.Equal(1, Budget(settled, "jobs"));
        Assert.Equal(0, Gauge(settled, "concurrent_jobs"));
        Assert.Null(await pool.GetConfig());
        Assert.Equal(1, Budget(stats, "jobs"));
        Assert.Equal(0, Gauge(stats, "concurrent_jobs"));
    }

    [Fact]
    public async Task A_tenant_refusal_that_arrives_after_the_lease_expired_and_went_to_another_worker_leaves_that_worker_the_job()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        await cluster.GrainFactory.GetGrain<ITenantGrain>("alpha").Create(Alpha(concurrentJobs: 10));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("raced");
        await pool.Configure(Pools.Small("raced"));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;

        // The tenant's first write waits for the test, then fails: the first worker's lease is refused, late.
        var write = new HeldWrite("tenant", null, "the tenant's store failed");
        faults.BeforeWrite = write.Gate;
        var first = pool.LeaseJobs("w1", Worker, TimeSpan.FromSeconds(2), 10);
        await write.Entered;

        // Meanwhile the first lease expires (the pool's sweep; before the pool stops waiting for the tenant,
        // TenantAdmission.TenantCallTimeout) and a second worker leases the job again.
        var state = JobState.Leased;
        for (var second = 0; second < 10 && state == JobState.Leased; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            state = (await pool.GetJob(job.Id))!.State;
        }

        Assert.Equal(JobState.Queued, state);
        var again = pool.LeaseJobs("w2", Worker, TimeSpan.FromSeconds(30), 10);
        Assert.Equal("w2", (await pool.GetJob(job.Id))!.WorkerId);
        write.Proceed();

        Assert.Empty(await first);
        var lease = Assert.Single(await again);
        Assert.Equal(2, lease.Attempt);
        var now = (await pool.GetJob(job.Id))!;
        Assert.Equal(JobState.Leased, now.State);
        Assert.Equal("w2", now.WorkerId);
    }

    [Fact]
    public async Task A_tenant_is_deleted_at_once_when_a_pool_it_ran_in_wakes_up_with_its_expired_leases()
    {
        var time = new ManualTimeProvider();
        await using var run = await RunningJobAsync("asleep", time: time);

        // The pool's grain goes away (the silo restarts) and the job's worker lease runs out meanwhile.
        await run.Cluster.RestartAsync();
        time.Advance(TimeSpan.FromMinutes(2));

        // Deleting the tenant wakes the pool, which must not call back into the tenant while it waits for the pool.
        // Time stands still, so no call times out: a wait on each other would hang, and the real-time guard says so.
        await run.Alpha.Suspend();
        await run.Alpha.Delete(force: true).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(await run.Pool.GetJob(run.Job.Id));
        Assert.Equal(0, await run.Pool.GetQueuedJobs());
    }
}
