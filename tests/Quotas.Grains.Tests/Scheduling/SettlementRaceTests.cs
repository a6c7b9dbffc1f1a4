using Grains.Storage;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using static Quotas.Grains.Tests.Scheduling.PoolRaces;

namespace Quotas.Grains.Tests.Scheduling;

/// <summary>The pool's settling with its tenants against writes in flight, re-leased jobs, and charges a tenant refuses for good.</summary>
public sealed class SettlementRaceTests
{
    private static TenantConfig AlphaWithCpuBudget() =>
        Alpha(QuotaDefinition.Budget("cpu_millicores", QuotaLimit.Hard(QuotaLimit.MaxValue), BudgetPeriod.Day));

    /// <summary>
    /// Brings the tenant's cpu_millicores budget so near the largest count a budget holds that one more report of
    /// <see cref="Largest"/> would overflow it: the tenant then refuses that charge, always. (The pool refuses a single
    /// report larger than a budget counts at completion, so a debt can be refused for good only by such a sum.)
    /// </summary>
    private static async Task FillCpuBudgetToTheBrimAsync(ITenantGrain tenant)
    {
        for (var i = 0; i < FilledReports; i++)
        {
            await tenant.RecordUsage($"fill-{i}", "cpu_millicores", QuotaLimit.MaxValue);
        }

        Assert.Equal(FilledReports * QuotaLimit.MaxValue, Budget(await tenant.GetStats(), "cpu_millicores"));
    }

    private const long FilledReports = long.MaxValue / QuotaLimit.MaxValue;

    private static ResourceVector Largest => ResourceVector.Of(("cpu_millicores", QuotaLimit.MaxValue), ("memory_mb", 512));

    [Fact]
    public async Task The_sweep_does_not_settle_a_completion_whose_write_has_not_been_stored()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "inflight");
        await using var _ = cluster;
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));

        // The completion's write waits for the test, then fails (the pool's database is unreachable).
        var write = new HeldWrite("pool", null, "the pool's store failed");
        faults.BeforeEntriesWrite = write.Gate;
        var completing = pool.Complete(job.Id, JobOutcome.Succeeded, null);
        await write.Entered;

        // The pool's sweep runs meanwhile (the grain is reentrant): a few ticks, each followed by calls queued behind it.
        for (var tick = 0; tick < 5; tick++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await pool.GetQueuedJobs();
            await alpha.GetStats();
        }

        write.Proceed();
        await Assert.ThrowsAnyAsync<Exception>(() => completing);

        // The completion was never stored nor acknowledged: the job still runs, so its tenant lease is still held
        // and the tenant has been charged nothing.
        Assert.Equal(JobState.Leased, (await pool.GetJob(job.Id))!.State);
        var stats = await alpha.GetStats();
        Assert.Equal(1, Gauge(stats, "concurrent_jobs"));
        Assert.Equal(0, Budget(stats, "jobs"));
    }

    [Fact]
    public async Task A_debt_the_tenant_refuses_for_good_does_not_stop_the_sweep_from_settling_later_jobs()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "poisoned", AlphaWithCpuBudget());
        await using var _ = cluster;
        var first = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        var second = (await pool.Submit(Pools.Job(Pools.Alpha, "a-1", cpu: 100))).Job;
        Assert.Equal(2, (await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10)).Count);

        // The worker reports usage the tenant's budget cannot add to what it holds: the tenant refuses it, always.
        await FillCpuBudgetToTheBrimAsync(alpha);
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(first.Id, JobOutcome.Succeeded, Largest)).Status);
        Assert.Equal(FilledReports * QuotaLimit.MaxValue, Budget(await alpha.GetStats(), "cpu_millicores"));

        // The second job completes while the tenant cannot be reached: its usage and lease are left to the sweep.
        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(second.Id, JobOutcome.Succeeded, null)).Status);
        faults.FailWritesOf = null;

        // The sweep (every second) settles the second job; a call may see a tick half done, so time goes on until it has.
        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => Gauge(s, "concurrent_jobs") == 0 && Budget(s, "jobs") == 2);

        Assert.Equal(0, Gauge(stats, "concurrent_jobs"));
        Assert.Equal(2, Budget(stats, "jobs"));
    }

    /// <summary>A charge the tenant refuses for good is dropped alone: the job's charges after it are still recorded.</summary>
    [Fact]
    public async Task A_charge_the_tenant_refuses_for_good_does_not_drop_the_jobs_other_charges()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(
            faults, time, "partly-refused", Alpha(QuotaDefinition.Budget("cpu_millicores", QuotaLimit.Hard(QuotaLimit.MaxValue), BudgetPeriod.Day), QuotaDefinition.Budget("memory_mb", QuotaLimit.Hard(1_000_000), BudgetPeriod.Day)));
        await using var _ = cluster;
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        await FillCpuBudgetToTheBrimAsync(alpha);

        // Charged in order: jobs, cpu_millicores (refused: the budget cannot add it), memory_mb.
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(job.Id, JobOutcome.Succeeded, Largest)).Status);

        var stats = await alpha.GetStats();
        Assert.Equal(1, Budget(stats, "jobs"));
        Assert.Equal(FilledReports * QuotaLimit.MaxValue, Budget(stats, "cpu_millicores"));
        Assert.Equal(512, Budget(stats, "memory_mb"));
    }

    /// <summary>
    /// A tenant that cannot be reached, owed the sweep's whole batch of oldest debts, does not keep the sweep from paying
    /// the others: it is skipped, and the sweep goes on to later debts.
    /// </summary>
    [Fact]
    public async Task A_tenant_that_cannot_be_reached_does_not_keep_the_sweep_from_paying_other_tenants()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "one-down", Alpha(concurrentJobs: 20));
        await using var _ = cluster;
        var beta = cluster.GrainFactory.GetGrain<ITenantGrain>("beta");
        await beta.Create(TenantConfig.Create("beta", Tier.Unlimited, [QuotaDefinition.Budget("jobs", QuotaLimit.Hard(1000), BudgetPeriod.Day)]));
        var large = ResourceVector.Of(("cpu_millicores", 100_000), ("memory_mb", 100_000));
        await pool.Configure(Pools.Small("one-down") with { Capacity = large });
        var jobs = new List<JobInfo>();
        for (var i = 0; i < 16; i++)
        {
            jobs.Add((await pool.Submit(Pools.Job(Pools.Alpha, $"a-{i}", cpu: 100))).Job);
        }

        jobs.Add((await pool.Submit(Pools.Job(Pools.Beta, "b-0", cpu: 100))).Job); // the newest debt
        Assert.Equal(17, (await pool.LeaseJobs("w1", large, TimeSpan.FromMinutes(1), 20)).Count);

        // Every job completes while no tenant can be reached: seventeen debts, alpha's the sixteen oldest.
        faults.BeforeWrite = key => key.GrainId.Type == "tenant" ? Task.FromException(new GrainStorageException("tenants unreachable", null, isTransient: true)) : Task.CompletedTask;
        foreach (var job in jobs)
        {
            Assert.Equal(CompletionStatus.Completed, (await pool.Complete(job.Id, JobOutcome.Succeeded, null)).Status);
        }

        // Beta comes back; alpha stays out of reach.
        faults.BeforeWrite = key => key.GrainId.Key == "alpha" ? Task.FromException(new GrainStorageException("alpha unreachable", null, isTransient: true)) : Task.CompletedTask;
        // Each sweep tries alpha and fails (sixteen releases, one debt) before it reaches beta.
        var stats = await PoolSweeps.UntilAsync(time, pool, beta, s => Budget(s, "jobs") == 1, seconds: 600);

        Assert.Equal(1, Budget(stats, "jobs"));
    }

    [Fact]
    public async Task A_pool_with_a_debt_the_tenant_refuses_for_good_can_still_be_deleted()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "undeletable", AlphaWithCpuBudget());
        await using var _ = cluster;
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        await FillCpuBudgetToTheBrimAsync(alpha);
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(job.Id, JobOutcome.Succeeded, Largest)).Status);
        Assert.Equal(FilledReports * QuotaLimit.MaxValue, Budget(await alpha.GetStats(), "cpu_millicores"));

        var failure = await Record.ExceptionAsync(() => pool.Delete(force: false));

        Assert.Null(failure);
        Assert.Null(await pool.GetConfig());
    }

    [Fact]
    public async Task Tenant_leases_whose_release_failed_are_not_dropped_when_the_job_is_leased_again()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "overwritten");
        await using var _ = cluster;
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));

        // The worker gives the job back while the tenant cannot be reached: the pool keeps the lease to release it.
        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Requeued, (await pool.CompleteReportedBy("w1", job.Id, JobOutcome.Preempted, null)).Status);
        faults.FailWritesOf = null;

        // Another worker leases the job again before the pool's next sweep.
        Assert.Single(await pool.LeaseJobs("w2", Worker, TimeSpan.FromMinutes(10), 10));
        for (var second = 0; second < 5; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await pool.GetQueuedJobs();
        }

        // One job runs: the tenant holds one concurrent job for it, not two (the first lease is released by the pool,
        // not left to expire 20 minutes later).
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }

    [Fact]
    public async Task The_sweep_does_not_release_the_tenant_leases_of_a_job_leased_again_while_it_settled_other_jobs()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        var (cluster, alpha, pool) = await StartAsync(faults, time, "stale");
        await using var _ = cluster;
        var beta = cluster.GrainFactory.GetGrain<ITenantGrain>("beta");
        await beta.Create(TenantConfig.Create("beta", Tier.Unlimited, QuotaDefinition.Budget("jobs", QuotaLimit.Hard(1000), BudgetPeriod.Day)));
        var other = (await pool.Submit(Pools.Job(Pools.Beta, "b-0", cpu: 100))).Job;
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Equal(2, (await pool.LeaseJobs("w1", Worker, TimeSpan.FromSeconds(5), 10)).Count);

        // While the tenants cannot be reached: beta's job completes (its usage is owed), alpha's is given back (its
        // tenant lease, of a 10 s TTL, is still held by the pool to release).
        faults.FailWritesOf = "tenant";
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(other.Id, JobOutcome.Succeeded, null)).Status);
        Assert.Equal(CompletionStatus.Requeued, (await pool.CompleteReportedBy("w1", job.Id, JobOutcome.Preempted, null)).Status);
        faults.FailWritesOf = null;

        // The sweep pays beta first; beta's write is slow.
        var write = new HeldWrite("tenant", "beta");
        faults.BeforeWrite = write.Gate;
        time.Advance(TimeSpan.FromSeconds(1));
        await write.Entered;

        // Meanwhile w2 leases alpha's job again, under a new tenant lease.
        var lease = Assert.Single(await pool.LeaseJobs("w2", Worker, TimeSpan.FromMinutes(10), 10));
        Assert.Equal(job.Id, lease.JobId);
        write.Proceed();

        // w2 runs the job for a while, heartbeating; the pool's sweep goes on.
        for (var second = 0; second < 30; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await pool.Heartbeat("w2", [job.Id], TimeSpan.FromMinutes(10));
        }

        var now = (await pool.GetJob(job.Id))!;
        Assert.Equal(JobState.Leased, now.State);
        Assert.Equal("w2", now.WorkerId);
        Assert.Equal(1, Gauge(await alpha.GetStats(), "concurrent_jobs"));
    }
}
