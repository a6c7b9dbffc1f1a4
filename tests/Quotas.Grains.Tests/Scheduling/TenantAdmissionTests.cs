using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using SchedulingTenantId = Quotas.Core.Scheduling.TenantId;
using static Quotas.Grains.Tests.Scheduling.PoolRaces;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class TenantAdmissionTests
{
    [Fact]
    public async Task A_tenants_gauge_quota_caps_its_running_jobs_while_other_tenants_still_get_the_pool()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var grains = cluster.GrainFactory;
        // Alpha may hold 2,500 millicores: two jobs of 1,000 fit, a third does not.
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(2500))));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("capped");
        await pool.Configure(Pools.Small("capped"));
        for (var i = 0; i < 4; i++)
        {
            await pool.Submit(Pools.Job(Pools.Alpha, $"a-{i}"));
        }

        var first = await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        var usage = (await alpha.GetStats()).Gauges.Single(g => g.Quota == "cpu_millicores");

        Assert.Equal(2, first.Count);
        Assert.Equal(2000, usage.Current);
        Assert.Equal(2, (await pool.GetTenantUsage(Pools.Alpha)).QueuedJobs);

        // Beta has no tenant quotas: its job is leased while alpha waits for capacity of its own.
        await pool.Submit(Pools.Job(Pools.Beta, "b-0"));
        var second = await pool.LeaseJobs("w2", Worker, TimeSpan.FromMinutes(1), 10);
        Assert.Equal(Pools.Beta, Assert.Single(second).Tenant);

        // A completion frees exactly its share of the tenant's quota.
        await pool.Complete(first[0].JobId, JobOutcome.Succeeded, null);
        Assert.Equal(1000, (await alpha.GetStats()).Gauges.Single(g => g.Quota == "cpu_millicores").Current);
    }

    /// <summary>
    /// A worker's lease call waits for a hung tenant (its silo stalled) no longer than the pool's tenant timeout, once
    /// for all its jobs (a tenant that failed is not asked again in the call), and answers with the other tenants'
    /// jobs: it waited the call's whole response timeout for each and answered 504, the jobs it had leased stored as
    /// leased to a worker that never got them. What the tenant grants meanwhile is taken back by the sweep.
    /// </summary>
    [Fact]
    public async Task A_lease_call_waits_for_a_hung_tenant_no_longer_than_the_tenant_timeout_and_answers_the_others_jobs()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        foreach (var tenant in new[] { "alpha", "beta" })
        {
            await cluster.GrainFactory.GetGrain<ITenantGrain>(tenant).Create(TenantConfig.Create(tenant, Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(10_000))));
        }

        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("hung-tenant");
        await pool.Configure(Pools.Small("hung-tenant"));
        var alphaJobs = new[] { (await pool.Submit(Pools.Job(Pools.Alpha, "a-0"))).Job, (await pool.Submit(Pools.Job(Pools.Alpha, "a-1"))).Job };
        await pool.Submit(Pools.Job(Pools.Beta, "b-0"));
        var hung = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = hung.Gate;

        var leasing = pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        await hung.Entered.WaitAsync(TimeSpan.FromSeconds(30)); // the pool waits for alpha's first grant
        time.Advance(Grains.Scheduling.TenantAdmission.TenantCallTimeout);
        var leases = await leasing.WaitAsync(TimeSpan.FromSeconds(30)); // one wait: alpha's second job is not asked for

        Assert.Equal(Pools.Beta, Assert.Single(leases).Tenant);
        foreach (var job in alphaJobs)
        {
            Assert.Equal(JobState.Queued, (await pool.GetJob(job.Id))!.State);
        }

        hung.Proceed();
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => s.Gauges.All(g => g.Current == 0));
        Assert.All(stats.Gauges, g => Assert.Equal(0, g.Current));
    }

    /// <summary>
    /// A team that leaves a gauge unlimited to share its organisation's cap: its jobs lease the gauge, and the lease
    /// holds in the organisation, so no more of them run than the cap takes. The pool leased only gauges the team itself
    /// limited, and any number ran, counted nowhere.
    /// </summary>
    [Fact]
    public async Task A_child_tenants_jobs_are_held_to_an_ancestors_cap_on_a_gauge_the_child_leaves_unlimited()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var org = cluster.GrainFactory.GetGrain<ITenantGrain>("org");
        await org.Create(TenantConfig.Create("org", Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(4000))));
        await cluster.GrainFactory.GetGrain<ITenantGrain>("alpha").Create(
            TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Unlimited)) with { ParentId = Core.Tenants.TenantId.Parse("org") });
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("shared-cap");
        await pool.Configure(Pools.Small("shared-cap") with { Capacity = ResourceVector.Of(("cpu_millicores", 16_000), ("memory_mb", 8192)) }); // room for all three
        for (var i = 0; i < 3; i++)
        {
            await pool.Submit(Pools.Job(Pools.Alpha, $"a-{i}", cpu: 3000));
        }

        var leased = await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);

        Assert.Single(leased);
        Assert.Equal(3000, (await org.GetStats()).Gauges.Single(g => g.Quota == "cpu_millicores").Current);
        Assert.Equal(2, (await pool.GetTenantUsage(Pools.Alpha)).QueuedJobs);
    }

    /// <summary>
    /// A heartbeat renews the tenant leases of each tenant's jobs side by side with the other tenants': a hung tenant
    /// (its writes held) does not hold up the renewal of another's. They were renewed one job after another, so the
    /// other tenant waited for the hung one's timeout (5 s) at every heartbeat, and a few hung tenants made it time out.
    /// </summary>
    [Fact]
    public async Task A_heartbeat_renews_other_tenants_leases_while_a_hung_tenant_answers_nothing()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        foreach (var tenant in new[] { "alpha", "beta" })
        {
            await cluster.GrainFactory.GetGrain<ITenantGrain>(tenant).Create(TenantConfig.Create(tenant, Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(10_000))));
        }

        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("renewals");
        await pool.Configure(Pools.Small("renewals"));
        await pool.Submit(Pools.Job(Pools.Alpha, "a-0", priority: -5)); // renewed first: preemption's order, lowest priority first
        await pool.Submit(Pools.Job(Pools.Beta, "b-0"));
        var leases = await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        Assert.Equal(2, leases.Count);
        var hung = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = hung.Gate;
        var betaRenewed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        faults.AfterWrite = key =>
        {
            if (key.GrainId.Type == "tenant" && key.GrainId.Key == "beta")
            {
                betaRenewed.TrySetResult();
            }
        };

        var heartbeat = pool.Heartbeat("w1", [.. leases.Select(lease => lease.JobId)], TimeSpan.FromMinutes(1));
        await hung.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        await betaRenewed.Task.WaitAsync(TimeSpan.FromSeconds(30)); // while alpha's renewal still hangs
        Assert.False(heartbeat.IsCompleted);
        time.Advance(Grains.Scheduling.TenantAdmission.TenantCallTimeout);
        var result = await heartbeat.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, result.Renewed.Count);
        Assert.Empty(result.Preempt);
        hung.Proceed();
    }

    /// <summary>
    /// A tenant that granted one of a job's quota leases and then failed the next, and its release too, gets the one it
    /// granted back from the pool's sweep once it can store again: recorded nowhere, it stayed held until it expired
    /// (twice the worker's lease) for a job that never ran.
    /// </summary>
    [Fact]
    public async Task A_lease_granted_for_a_job_its_tenant_then_failed_goes_back_by_the_sweep_when_giving_it_back_failed()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create(
            "alpha", Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(10_000)), QuotaDefinition.Gauge("memory_mb", QuotaLimit.Hard(10_000))));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("half-granted");
        await pool.Configure(Pools.Small("half-granted"));
        await pool.Submit(Pools.Job(Pools.Alpha, "a-0"));

        // Alpha stores the first grant, then fails the next grant and the release of the first.
        var tenantWrites = 0;
        faults.BeforeWrite = key => key.GrainId.Type == "tenant" && Interlocked.Increment(ref tenantWrites) is 2 or 3
            ? Task.FromException(new global::Grains.Storage.GrainStorageException("injected write failure", null, isTransient: true))
            : Task.CompletedTask;
        Assert.Empty(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        var whileFailing = await alpha.GetStats();
        faults.BeforeWrite = null;

        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => s.Gauges.All(g => g.Current == 0), seconds: 10);

        Assert.Equal(3, tenantWrites);
        Assert.Equal(1, whileFailing.Gauges.Count(g => g.Current > 0));
        Assert.All(stats.Gauges, g => Assert.Equal(0, g.Current));
    }

    /// <summary>
    /// A job cancelled while its tenant grants its quota leases gets them given back; when its tenant cannot release them
    /// then, the pool's sweep does once it can: recorded nowhere, they stayed held until they expired (twice the worker's
    /// lease) for a job that never ran.
    /// </summary>
    [Fact]
    public async Task Leases_granted_for_a_job_cancelled_meanwhile_go_back_by_the_sweep_when_giving_them_back_failed()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(10_000))));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("cancelled-while-granted");
        await pool.Configure(Pools.Small("cancelled-while-granted"));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0"))).Job;

        // The tenant's grant waits in its write; the job is cancelled meanwhile; the release that follows fails.
        var granting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tenantWrites = 0;
        faults.BeforeWrite = key => key.GrainId.Type != "tenant" ? Task.CompletedTask : Interlocked.Increment(ref tenantWrites) switch
        {
            1 => EnterAndWait(entered, granting.Task),
            _ => Task.FromException(new global::Grains.Storage.GrainStorageException("injected write failure", null, isTransient: true)),
        };
        var leasing = pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CancelStatus.Cancelled, await pool.Cancel(job.Id));
        granting.SetResult();
        Assert.Empty(await leasing.WaitAsync(TimeSpan.FromSeconds(30)));
        var whileFailing = await alpha.GetStats();
        faults.BeforeWrite = null;

        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => s.Gauges.All(g => g.Current == 0), seconds: 10);

        Assert.True(tenantWrites >= 2, $"the release was not tried ({tenantWrites} tenant writes)");
        Assert.Equal(1000, whileFailing.Gauges.Single(g => g.Quota == "cpu_millicores").Current);
        Assert.All(stats.Gauges, g => Assert.Equal(0, g.Current));

        static async Task EnterAndWait(TaskCompletionSource entered, Task release)
        {
            entered.TrySetResult();
            await release;
        }
    }

    /// <summary>
    /// A tenant that cannot be reached fails no heartbeat: the worker is answered, and the quota leases of the other
    /// tenants' jobs are renewed, even those renewed after the unreachable tenant's.
    /// </summary>
    [Fact]
    public async Task A_heartbeat_answers_and_renews_the_other_tenants_leases_while_one_tenant_cannot_be_reached()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        foreach (var tenant in new[] { "alpha", "beta" })
        {
            await grains.GetGrain<ITenantGrain>(tenant).Create(TenantConfig.Create(tenant, Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(10_000))));
        }

        var pool = grains.GetGrain<IFairShareSchedulerGrain>("beating");
        await pool.Configure(Pools.Small("beating"));
        await pool.Submit(Pools.Job(Pools.Alpha, "a-0", priority: 5));
        await pool.Submit(Pools.Job(Pools.Beta, "b-0", priority: 0)); // the lower priority: renewed first
        var leases = await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        Assert.Equal(2, leases.Count);

        // Beta's writes fail from here, and with them its renewals.
        faults.BeforeWrite = key => key.GrainId.Type == "tenant" && key.GrainId.Key == "beta"
            ? Task.FromException(new global::Grains.Storage.GrainStorageException("injected write failure", null, isTransient: true))
            : Task.CompletedTask;
        time.Advance(TimeSpan.FromSeconds(50));
        var beat = await pool.Heartbeat("w1", [.. leases.Select(l => l.JobId)], TimeSpan.FromMinutes(10));

        Assert.Equal(leases.Select(l => l.JobId.Value).Order(), beat.Renewed.Select(j => j.Value).Order());
        Assert.Empty(beat.Preempt);
        Assert.Empty(beat.Lost);

        // Alpha's quota lease ran for twice the first worker lease (2 minutes); renewed, it still counts the job after.
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1000, (await alpha.GetStats()).Gauges.Single(g => g.Quota == "cpu_millicores").Current);
    }

    /// <summary>
    /// Another call's write that fails while a lease call asks the tenants puts the pool back to its stored state, which
    /// lacks what the lease call decided so far: it decides again, so the quota leases granted are still held for
    /// their jobs (a completion gives them back) and the job its tenant refused is queued, not left leased to a worker
    /// that never got it.
    /// </summary>
    [Fact]
    public async Task A_lease_call_keeps_what_it_decided_when_another_calls_write_fails_meanwhile()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var grains = cluster.GrainFactory;
        var gamma = new SchedulingTenantId("gamma");
        foreach (var (tenant, limit) in new[] { ("alpha", 10_000L), ("beta", 500L), ("gamma", 10_000L) })
        {
            await grains.GetGrain<ITenantGrain>(tenant).Create(TenantConfig.Create(tenant, Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(limit))));
        }

        var pool = grains.GetGrain<IFairShareSchedulerGrain>("restored");
        await pool.Configure(Pools.Small("restored") with { Tenants = [new TenantShare(Pools.Alpha), new TenantShare(Pools.Beta), new TenantShare(gamma)] });
        var granted = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0"))).Job;
        var refused = (await pool.Submit(Pools.Job(Pools.Beta, "b-0"))).Job; // more than beta's whole quota
        await pool.Submit(Pools.Job(gamma, "g-0"));

        // Gamma, asked last, is held in its write while another call's write of the pool fails.
        var gammaWrite = new HeldWrite("tenant", "gamma");
        faults.BeforeWrite = gammaWrite.Gate;
        var leasing = pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        await gammaWrite.Entered;
        faults.BeforeEntriesWrite = _ => Task.FromException(new global::Grains.Storage.GrainStorageException("injected write failure", null, isTransient: true));
        await Assert.ThrowsAsync<global::Grains.Storage.GrainStorageException>(() => pool.Submit(Pools.Job(Pools.Alpha, "a-1")));
        faults.BeforeEntriesWrite = null;
        gammaWrite.Proceed();

        var leased = await leasing;
        Assert.Equal(["alpha", "gamma"], leased.Select(l => l.Tenant.Value).Order());
        Assert.Equal(JobState.Queued, (await pool.GetJob(refused.Id))!.State);
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(granted.Id, JobOutcome.Succeeded, null)).Status);
        Assert.Equal(0, (await grains.GetGrain<ITenantGrain>("alpha").GetStats()).Gauges.Single(g => g.Quota == "cpu_millicores").Current);
    }

    /// <summary>A job cancelled while the lease call stores what its tenant granted is not handed to the worker.</summary>
    [Fact]
    public async Task A_job_cancelled_while_its_lease_is_being_stored_is_not_handed_out()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var grains = cluster.GrainFactory;
        var (alpha, pool, job) = await OneJobAsync(grains, "stored-late");

        // The lease call's second write (what the tenant granted) waits until the job is cancelled.
        var writes = 0;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        faults.BeforeEntriesWrite = async _ =>
        {
            if (Interlocked.Increment(ref writes) == 2)
            {
                entered.SetResult();
                await proceed.Task;
            }
        };
        var leasing = pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        await entered.Task;
        var cancelling = pool.Cancel(job.Id);
        Assert.Equal(JobState.Cancelled, (await pool.GetJob(job.Id))!.State);
        proceed.SetResult();

        Assert.Empty(await leasing);
        Assert.Equal(CancelStatus.Cancelled, await cancelling);
        Assert.Equal(0, (await alpha.GetStats()).Gauges.Single(g => g.Quota == "cpu_millicores").Current);
    }

    /// <summary>
    /// A tenant lease the pool asked for without getting an answer (its call timed out) may be granted all the same;
    /// the job goes back to the queue, so nothing would hold or release that lease: the pool's sweep takes it back.
    /// </summary>
    [Fact]
    public async Task A_tenant_lease_granted_after_the_pools_call_timed_out_is_taken_back_by_the_sweep()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T12:00:00Z"));
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var grains = cluster.GrainFactory;
        var (alpha, pool, job) = await OneJobAsync(grains, "unanswered");

        // Alpha stores the lease it grants only after the pool's call to it (and the test's to the pool) timed out.
        var write = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = write.Gate;
        var leasing = pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10);
        await write.Entered;
        time.Advance(TimeSpan.FromSeconds(31));
        await Assert.ThrowsAsync<global::Grains.GrainCallTimeoutException>(() => leasing);
        write.Proceed();
        Assert.Equal(1000, CpuHeld(await alpha.GetStats()));

        var stats = await PoolSweeps.UntilAsync(time, pool, alpha, s => CpuHeld(s) == 0);

        Assert.Equal(0, CpuHeld(stats));
        Assert.Equal(JobState.Queued, (await pool.GetJob(job.Id))!.State);
    }

    private static long CpuHeld(TenantStats stats) => stats.Gauges.Single(g => g.Quota == "cpu_millicores").Current;

    [Fact]
    public async Task A_job_whose_budget_its_period_has_used_up_waits_in_the_queue_until_the_period_resets()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T23:59:00Z"));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Budget("jobs", QuotaLimit.Hard(1), BudgetPeriod.Day)));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("budgeted");
        await pool.Configure(Pools.Small("budgeted"));
        var first = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(first.Id, JobOutcome.Succeeded, null)).Status);

        // The day's one job is used: alpha's next job waits while beta's runs.
        var second = (await pool.Submit(Pools.Job(Pools.Alpha, "a-1", cpu: 100))).Job;
        await pool.Submit(Pools.Job(Pools.Beta, "b-0", cpu: 100));
        var whileUsedUp = await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10);

        Assert.Equal(Pools.Beta, Assert.Single(whileUsedUp).Tenant);
        Assert.Equal(JobState.Queued, (await pool.GetJob(second.Id))!.State);

        // A new day: the budget has room again, and the job is leased once the pool asks alpha again.
        time.Advance(TimeSpan.FromSeconds(61));
        var afterReset = await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10);

        Assert.Equal(second.Id, Assert.Single(afterReset).JobId);
    }

    [Fact]
    public async Task A_budget_raised_while_its_tenant_waits_lets_the_job_start_at_the_pools_next_recheck()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T12:00:00Z"));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var (alpha, pool) = await UsedUpAsync(cluster.GrainFactory, "raised");
        var waiting = (await pool.Submit(Pools.Job(Pools.Alpha, "a-1", cpu: 100))).Job;
        Assert.Empty(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));

        await alpha.UpdateQuotas([QuotaDefinition.Budget("jobs", QuotaLimit.Hard(2), BudgetPeriod.Day)]);
        // The pool asks alpha again in its sweep, every second, once 30 s have passed since the refusal.
        IReadOnlyList<JobLease> leased = [];
        var seconds = 0;
        while (leased.Count == 0 && seconds < 120)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            seconds++;
            await alpha.GetStats();
            await pool.GetQueuedJobs();
            leased = await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10);
        }

        Assert.Equal(waiting.Id, Assert.Single(leased).JobId);
        Assert.True(seconds >= 30, $"leased after {seconds} s, before the pool asked again");
        // The pool's asking is not the tenant's violation (a client's check is).
        Assert.Equal(0, (await alpha.GetStats()).Budgets.Single(b => b.Quota == "jobs").Violations);
    }

    [Fact]
    public async Task Cancelling_the_job_a_budget_refused_lets_the_tenants_next_job_that_fits_start()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T12:00:00Z"));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Budget("memory_mb", QuotaLimit.Hard(1000), BudgetPeriod.Day)));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("refitted");
        await pool.Configure(Pools.Small("refitted"));
        var first = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));
        await pool.Complete(first.Id, JobOutcome.Succeeded, null); // charges its demand: 512 of the day's 1,000 MB

        // 512 more do not fit; that job is cancelled, and a job of 256 MB would.
        var tooBig = (await pool.Submit(Pools.Job(Pools.Alpha, "a-1", cpu: 100))).Job;
        Assert.Empty(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));
        await pool.Cancel(tooBig.Id);
        var fits = (await pool.Submit(new SubmitJobRequest(Pools.Alpha, ResourceVector.Of(("cpu_millicores", 100), ("memory_mb", 256)), 0, "a-2"))).Job;

        IReadOnlyList<JobLease> leased = [];
        for (var seconds = 0; leased.Count == 0 && seconds < 120; seconds++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await alpha.GetStats();
            await pool.GetQueuedJobs();
            leased = await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10);
        }

        Assert.Equal(fits.Id, Assert.Single(leased).JobId);
    }

    [Fact]
    public async Task A_job_cancelled_while_its_lease_call_still_asks_its_tenant_is_charged_nothing()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited,
            QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(10)), QuotaDefinition.Budget("jobs", QuotaLimit.Hard(1000), BudgetPeriod.Day)));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("admitting");
        await pool.Configure(Pools.Small("admitting"));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;

        // The tenant's write of the job's quota lease is held: the lease call is still asking when the job is cancelled.
        var held = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = held.Gate;
        var leasing = pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10);
        await held.Entered;
        var cancelled = await pool.Cancel(job.Id);
        held.Proceed();
        var handedOut = await leasing;

        Assert.Equal(CancelStatus.Cancelled, cancelled);
        Assert.Empty(handedOut);
        var stats = await alpha.GetStats();
        Assert.Equal(0, stats.Gauges.Single(g => g.Quota == "concurrent_jobs").Current);
        Assert.Equal(0, stats.Budgets.Single(b => b.Quota == "jobs").Current);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task While_a_guaranteed_tenants_budget_holds_its_jobs_back_reclaim_stops_no_other_tenants_jobs_for_it(bool poolActivatedAgain)
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T12:00:00Z"));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var config = Pools.Small("reclaim") with
        {
            Tenants = [new TenantShare(Pools.Alpha, Guaranteed: ResourceVector.Of(("cpu_millicores", 2000))), new TenantShare(Pools.Beta)],
        };
        var (_, pool) = await UsedUpAsync(cluster.GrainFactory, "reclaim", config);

        // Beta borrows the whole pool; alpha, below its guarantee, asks for some of it back but may not run a job today.
        var borrowed = new List<JobId>();
        for (var i = 0; i < 4; i++)
        {
            await pool.Submit(Pools.Job(Pools.Beta, $"b-{i}"));
        }

        borrowed.AddRange((await pool.LeaseJobs("wb", Worker, TimeSpan.FromMinutes(10), 10)).Select(l => l.JobId));
        await pool.Submit(Pools.Job(Pools.Alpha, "a-1"));
        var told = await pool.Heartbeat("wb", borrowed, TimeSpan.FromMinutes(10));
        foreach (var job in told.Preempt)
        {
            await pool.CompleteReportedBy("wb", job, JobOutcome.Preempted, null);
        }

        // What reclaim freed goes to alpha's job, which alpha's budget refuses; beta takes the capacity back.
        Assert.DoesNotContain(await pool.LeaseJobs("wa", Worker, TimeSpan.FromMinutes(10), 10), l => l.Tenant == Pools.Alpha);
        borrowed = [.. borrowed.Except(told.Preempt), .. (await pool.LeaseJobs("wb", Worker, TimeSpan.FromMinutes(10), 10)).Select(l => l.JobId)];
        if (poolActivatedAgain)
        {
            // The pool, read back from storage, knows the budget holds alpha back: rebuilding it marks nothing.
            // (Taken out of memory as a failure or a stop would: a pool with running jobs is not collected when idle.)
            var silo = cluster.PrimarySilo.Silo;
            await silo.DeactivateAsync(global::Grains.GrainId.Create("pool", "reclaim"));
            Assert.Equal(0, silo.ActivationCountsByType().GetValueOrDefault("pool"));
        }

        time.Advance(TimeSpan.FromSeconds(61));
        var later = await pool.Heartbeat("wb", borrowed, TimeSpan.FromMinutes(10));

        Assert.Equal(4, borrowed.Count);
        Assert.Empty(later.Preempt);
    }

    /// <summary>
    /// A guaranteed tenant that is suspended with a job queued: reclaim stops a borrower's job for it once (the pool
    /// learns of the suspension only when the tenant refuses the lease), and then no more while the suspension lasts,
    /// where it used to stop one every 30 s, so that a borrower's long job never finished. Once the tenant is active
    /// again, a recheck lets it take its guarantee back. <paramref name="parentSuspended"/>: the tenant is active, and
    /// its parent, which caps the gauge its jobs name, is suspended and refuses the tenant's leases.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_suspended_guaranteed_tenant_has_reclaim_stop_a_borrowers_job_once_not_again_each_time_its_refusal_is_old(bool parentSuspended)
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-07T12:00:00Z"));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        var org = cluster.GrainFactory.GetGrain<ITenantGrain>("org");
        var cpu = QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(10_000));

        // A gauge its jobs name: a suspended tenant refuses the lease (one that limits nothing its jobs use runs them).
        await org.Create(TenantConfig.Create("org", Tier.Unlimited, cpu));
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, cpu) with { ParentId = Core.Tenants.TenantId.Parse("org") });
        var suspended = parentSuspended ? org : alpha;
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("suspended");
        await pool.Configure(Pools.Small("suspended") with
        {
            Tenants = [new TenantShare(Pools.Alpha, Guaranteed: ResourceVector.Of(("cpu_millicores", 2000))), new TenantShare(Pools.Beta)],
        });
        for (var i = 0; i < 4; i++)
        {
            await pool.Submit(Pools.Job(Pools.Beta, $"b-{i}"));
        }

        var borrowed = (await pool.LeaseJobs("wb", Worker, TimeSpan.FromMinutes(10), 10)).Select(l => l.JobId).ToList();
        await pool.Submit(Pools.Job(Pools.Alpha, "a-1"));
        await suspended.Suspend();

        var stopped = 0;
        for (var round = 0; round < 4; round++)
        {
            var told = await pool.Heartbeat("wb", borrowed, TimeSpan.FromMinutes(10));
            foreach (var job in told.Preempt)
            {
                await pool.CompleteReportedBy("wb", job, JobOutcome.Preempted, null);
                stopped++;
            }

            // What reclaim freed goes to alpha's job, which alpha refuses; beta takes the capacity back.
            Assert.DoesNotContain(await pool.LeaseJobs("wa", Worker, TimeSpan.FromMinutes(10), 10), l => l.Tenant == Pools.Alpha);
            borrowed = [.. borrowed.Except(told.Preempt), .. (await pool.LeaseJobs("wb", Worker, TimeSpan.FromMinutes(10), 10)).Select(l => l.JobId)];
            await PoolSweeps.UntilAsync(time, pool, alpha, _ => false, seconds: 31);
        }

        Assert.Equal(1, stopped);
        Assert.Equal(4, borrowed.Count);

        await suspended.Activate();
        var reclaimed = false;
        for (var seconds = 0; !reclaimed && seconds < 120; seconds++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await pool.GetQueuedJobs();
            reclaimed = (await pool.Heartbeat("wb", borrowed, TimeSpan.FromMinutes(10))).Preempt.Count > 0;
        }

        Assert.True(reclaimed, "reclaim did not resume for alpha once it was active again");
    }

    /// <summary>Alpha with 10,000 millicores of CPU, and one job of it queued in pool <paramref name="poolId"/>.</summary>
    private static async Task<(ITenantGrain Alpha, IFairShareSchedulerGrain Pool, JobInfo Job)> OneJobAsync(global::Grains.IGrainFactory grains, string poolId)
    {
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("cpu_millicores", QuotaLimit.Hard(10_000))));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>(poolId);
        await pool.Configure(Pools.Small(poolId));
        return (alpha, pool, (await pool.Submit(Pools.Job(Pools.Alpha, "a-0"))).Job);
    }

    /// <summary>Alpha with a day's budget of one job, which a completed job in pool <paramref name="poolId"/> has used.</summary>
    private static async Task<(ITenantGrain Alpha, IFairShareSchedulerGrain Pool)> UsedUpAsync(global::Grains.IGrainFactory grains, string poolId, PoolConfig? config = null)
    {
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Budget("jobs", QuotaLimit.Hard(1), BudgetPeriod.Day)));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>(poolId);
        await pool.Configure(config ?? Pools.Small(poolId));
        var first = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(10), 10));
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(first.Id, JobOutcome.Succeeded, null)).Status);
        return (alpha, pool);
    }

    [Fact]
    public async Task Past_its_soft_quotas_grace_a_tenant_has_its_lowest_priority_jobs_stopped_until_it_is_back_at_its_limit()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge(
            "concurrent_jobs", QuotaLimit.Soft(1, 3, maxBurst: TimeSpan.FromMinutes(1), gracePeriod: TimeSpan.FromMinutes(1)))));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("soft");
        await pool.Configure(Pools.Small("soft"));
        var high = (await pool.Submit(Pools.Job(Pools.Alpha, "high", cpu: 100, priority: 5))).Job;
        var low = (await pool.Submit(Pools.Job(Pools.Alpha, "low", cpu: 100, priority: 1))).Job;
        var middle = (await pool.Submit(Pools.Job(Pools.Alpha, "middle", cpu: 100, priority: 3))).Job;
        var ttl = TimeSpan.FromMinutes(10);
        Assert.Equal(3, (await pool.LeaseJobs("w1", Worker, ttl, 10)).Count); // up to the ceiling, in a burst
        JobId[] all = [high.Id, low.Id, middle.Id];

        time.Advance(TimeSpan.FromSeconds(110)); // within the grace: every lease is renewed
        Assert.Empty((await pool.Heartbeat("w1", all, ttl)).Preempt);

        time.Advance(TimeSpan.FromSeconds(11)); // burst and grace are over
        var beat = await pool.Heartbeat("w1", all, ttl);

        Assert.Equal([low.Id, middle.Id], beat.Preempt.OrderBy(id => id.Value));
        Assert.Equal(1, (await alpha.GetStats()).Gauges.Single(g => g.Quota == "concurrent_jobs").Current);
        Assert.Equal([low.Id, middle.Id], (await pool.Heartbeat("w1", all, ttl)).Preempt.OrderBy(id => id.Value)); // until the worker reports

        await pool.Complete(low.Id, JobOutcome.Preempted, null);
        await pool.Complete(middle.Id, JobOutcome.Preempted, null);
        Assert.Equal(JobState.Queued, (await pool.GetJob(low.Id))!.State);
        Assert.Equal(JobState.Leased, (await pool.GetJob(high.Id))!.State);
        Assert.Empty((await pool.Heartbeat("w1", [high.Id], ttl)).Preempt);
        Assert.Equal(1, (await alpha.GetStats()).Gauges.Single(g => g.Quota == "concurrent_jobs").Current);
    }

    /// <summary>
    /// A tenant that hangs (its silo stalled) holds up neither the pool's sweep nor what it does for the other tenants:
    /// a dead worker's lease of another tenant's job is taken back while the hung tenant's debt still waits.
    /// </summary>
    [Fact]
    public async Task A_hung_tenants_debt_does_not_stop_the_sweep_from_taking_back_an_expired_lease()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Budget("jobs", QuotaLimit.Hard(1000), BudgetPeriod.Day)));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("hung-tenant");
        await pool.Configure(Pools.Small("hung-tenant"));
        var charged = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0"))).Job;
        var other = (await pool.Submit(Pools.Job(Pools.Beta, "b-0"))).Job;
        Assert.Equal(2, (await pool.LeaseJobs("w1", Worker, TimeSpan.FromSeconds(10), 10)).Count);

        // Alpha fails the charge of the completion, which stays owed; then it hangs in the write of the sweep's retry.
        faults.BeforeWrite = key => key.GrainId.Type == "tenant"
            ? Task.FromException(new global::Grains.Storage.GrainStorageException("injected write failure", null, isTransient: true))
            : Task.CompletedTask;
        Assert.Equal(CompletionStatus.Completed, (await pool.Complete(charged.Id, JobOutcome.Succeeded, null)).Status);
        var held = new HeldWrite("tenant", "alpha");
        faults.BeforeWrite = held.Gate;

        // The worker is gone: beta's job is queued again soon after its lease has run out (10 s), whatever alpha does;
        // a sweep that waited on alpha for as long as a call may take (30 s) took it back only after that.
        var state = JobState.Leased;
        for (var tick = 0; tick < 20 && state != JobState.Queued; tick++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await pool.GetQueuedJobs();
            state = (await pool.GetJob(other.Id))!.State;
        }

        held.Proceed();
        Assert.True(held.Entered.IsCompleted, "alpha was not asked again");
        Assert.Equal(JobState.Queued, state);
    }

    /// <summary>
    /// A stop its tenant asks for whose mark the pool cannot store fails no heartbeat: the renewals are stored and the
    /// worker is answered; the next heartbeat stops the job.
    /// </summary>
    [Fact]
    public async Task A_stop_whose_mark_cannot_be_stored_fails_no_heartbeat_and_the_next_one_stops_the_job()
    {
        var time = new ManualTimeProvider();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge(
            "concurrent_jobs", QuotaLimit.Soft(1, 2, maxBurst: TimeSpan.FromMinutes(1), gracePeriod: TimeSpan.FromMinutes(1)))));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("soft-unstored");
        await pool.Configure(Pools.Small("soft-unstored"));
        var high = (await pool.Submit(Pools.Job(Pools.Alpha, "high", cpu: 100, priority: 5))).Job;
        var low = (await pool.Submit(Pools.Job(Pools.Alpha, "low", cpu: 100, priority: 1))).Job;
        var ttl = TimeSpan.FromMinutes(10);
        Assert.Equal(2, (await pool.LeaseJobs("w1", Worker, ttl, 10)).Count);
        JobId[] all = [high.Id, low.Id];
        time.Advance(TimeSpan.FromSeconds(121)); // burst and grace are over: the tenant refuses the low job's renewal

        // The pool's first write (the renewals) is stored; the next (the stop's mark) fails.
        var poolWrites = 0;
        faults.BeforeEntriesWrite = key => key.GrainId.Type == "pool" && Interlocked.Increment(ref poolWrites) == 2
            ? Task.FromException(new global::Grains.Storage.GrainStorageException("injected write failure", null, isTransient: true))
            : Task.CompletedTask;
        var unmarked = await pool.Heartbeat("w1", all, ttl);
        faults.BeforeEntriesWrite = null;

        Assert.Equal(2, unmarked.Renewed.Count);
        Assert.Empty(unmarked.Preempt);
        Assert.Equal(2, poolWrites);
        Assert.Equal([low.Id], (await pool.Heartbeat("w1", all, ttl)).Preempt);
    }

    [Fact]
    public async Task A_refused_tenant_is_skipped_until_its_retry_after_and_then_admitted_when_capacity_frees()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(1))));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("one-at-a-time");
        await pool.Configure(Pools.Small("one-at-a-time"));
        var running = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        var waiting = (await pool.Submit(Pools.Job(Pools.Alpha, "a-1", cpu: 100))).Job;

        var leased = await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        Assert.Equal(running.Id, Assert.Single(leased).JobId);
        Assert.Equal(JobState.Queued, (await pool.GetJob(waiting.Id))!.State);
        Assert.Empty(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));

        await pool.Complete(running.Id, JobOutcome.Succeeded, null);
        // Still inside the refusal's retry-after: the tenant is skipped without asking it.
        Assert.Empty(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(waiting.Id, Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10)).JobId);
    }

    [Fact]
    public async Task A_quota_refusal_does_not_count_against_the_jobs_max_attempts()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(1))));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("refused-then-lost");
        await pool.Configure(Pools.Small("refused-then-lost") with { MaxAttempts = 2 });
        var running = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        var refused = (await pool.Submit(Pools.Job(Pools.Alpha, "a-1", cpu: 100))).Job;
        Assert.Equal(running.Id, Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10)).JobId);
        await pool.Complete(running.Id, JobOutcome.Succeeded, null);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(refused.Id, Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromSeconds(30), 10)).JobId);

        // Its first lease lost by expiry (the sweep ticks every second): queued again, not ended as Expired.
        var state = JobState.Leased;
        for (var second = 0; second < 120 && state == JobState.Leased; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            state = (await pool.GetJob(refused.Id))!.State;
        }

        Assert.Equal(JobState.Queued, state);
    }

    [Fact]
    public async Task Cancelling_a_running_job_releases_its_tenants_quota_even_when_the_pool_keeps_no_finished_jobs()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(1))));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("cancel-forgets");
        await pool.Configure(Pools.Small("cancel-forgets") with { MaxFinishedJobs = 0 });
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));

        Assert.Equal(CancelStatus.Cancelled, await pool.Cancel(job.Id));

        Assert.Null(await pool.GetJob(job.Id));
        Assert.Equal(0, (await alpha.GetStats()).Gauges.Single(g => g.Quota == "concurrent_jobs").Current);
    }

    [Fact]
    public async Task Jobs_cancelled_while_their_leases_are_being_admitted_leave_no_quota_held_and_are_not_handed_out()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(1000))));

        // A race: each round, the cancellations run while the lease call (the pool is reentrant) waits on the tenant
        // for one job after another; the last jobs are cancelled first, as they are admitted last.
        for (var round = 0; round < 5; round++)
        {
            var pool = grains.GetGrain<IFairShareSchedulerGrain>($"cancel-race-{round}");
            await pool.Configure(Pools.Small($"cancel-race-{round}"));
            var jobs = new List<JobInfo>();
            for (var i = 0; i < 40; i++)
            {
                jobs.Add((await pool.Submit(Pools.Job(Pools.Alpha, $"a-{i}", cpu: 100))).Job);
            }

            var leasing = Task.Run(() => pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 40));
            var cancelling = Enumerable.Reverse(jobs).Select(job => Task.Run(() => pool.Cancel(job.Id))).ToList();
            await leasing;
            var cancelled = await Task.WhenAll(cancelling);

            var held = (await alpha.GetStats()).Gauges.Single(g => g.Quota == "concurrent_jobs").Current;
            Assert.True(held == 0, $"Round {round}: every job was cancelled, yet the tenant still holds {held} concurrent_jobs.");
            Assert.All(cancelled, status => Assert.Equal(CancelStatus.Cancelled, status));
        }
    }

    [Fact]
    public async Task A_lease_lost_for_good_releases_its_tenants_quota_even_when_the_pool_keeps_no_finished_jobs()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(1))));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("expiry-forgets");
        await pool.Configure(Pools.Small("expiry-forgets") with { MaxFinishedJobs = 0, MaxAttempts = 1 });
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", Worker, TimeSpan.FromSeconds(30), 10));

        // The worker lease runs out at 30 s, the tenant's own lease only at 60 s: released before that, it was the pool.
        // A call to the pool each second is queued behind the sweep's turn, as in the pool's own expiry test.
        long held = 1;
        JobInfo? info = job;
        for (var second = 0; second < 50 && held > 0; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            info = await pool.GetJob(job.Id);
            held = (await alpha.GetStats()).Gauges.Single(g => g.Quota == "concurrent_jobs").Current;
        }

        Assert.Equal(0, held);
        Assert.Null(info);
    }

    [Fact]
    public async Task A_completed_job_is_charged_once_to_the_tenants_budgets_and_a_suspended_tenant_gets_no_jobs()
    {
        // Manual time: the pool remembers the tenant's status for 5 s, so the submission after the suspension is
        // accepted however slow the run, and it is the lease that the suspension refuses; the day's budgets stay one day.
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: new ManualTimeProvider());
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create(
            "alpha",
            Tier.Unlimited,
            QuotaDefinition.Budget("jobs", QuotaLimit.Hard(100), BudgetPeriod.Day),
            QuotaDefinition.Budget("cpu_ms", QuotaLimit.Hard(100_000_000), BudgetPeriod.Day),
            QuotaDefinition.Budget("memory_mb_seconds", QuotaLimit.Unlimited, BudgetPeriod.Day),
            QuotaDefinition.Gauge("memory_mb", QuotaLimit.Hard(4096))));
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("billing");
        await pool.Configure(Pools.Small("billing"));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0"))).Job;
        await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10);
        Assert.Equal(512, (await alpha.GetStats()).Gauges.Single(g => g.Quota == "memory_mb").Current);

        // What the job held, in the pool's resources, and what it consumed, in units the pool does not schedule.
        var actual = ResourceVector.Of(("cpu_millicores", 900), ("cpu_ms", 42_000), ("memory_mb_seconds", 21_504), ("gpu_hours", 3));
        await pool.Complete(job.Id, JobOutcome.Succeeded, actual);
        await pool.Complete(job.Id, JobOutcome.Succeeded, actual);

        var stats = await alpha.GetStats();
        Assert.Equal(1, stats.Budgets.Single(b => b.Quota == "jobs").Current);
        Assert.Equal(42_000, stats.Budgets.Single(b => b.Quota == "cpu_ms").Current);
        Assert.Equal(21_504, stats.Budgets.Single(b => b.Quota == "memory_mb_seconds").Current);
        Assert.Equal(actual, (await pool.GetJob(job.Id))!.ActualUsage);
        Assert.Equal(900, (await pool.GetTenantUsage(Pools.Alpha)).ReportedUsage["cpu_millicores"]);
        Assert.Equal(0, stats.Gauges.Single(g => g.Quota == "memory_mb").Current);

        await alpha.Suspend();
        await pool.Submit(Pools.Job(new SchedulingTenantId("alpha"), "a-1"));
        Assert.Empty(await pool.LeaseJobs("w1", Worker, TimeSpan.FromMinutes(1), 10));
    }
}
