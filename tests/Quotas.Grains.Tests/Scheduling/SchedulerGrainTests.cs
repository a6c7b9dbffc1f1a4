using Grains;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Grains.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class SchedulerGrainTests
{
    [Fact]
    public async Task Jobs_flow_from_submit_through_lease_to_a_single_counted_completion()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("flow");
        await pool.Configure(Pools.Small("flow"));

        var first = await pool.Submit(Pools.Job(Pools.Alpha, "job-1"));
        var retried = await pool.Submit(Pools.Job(Pools.Alpha, "job-1"));
        var leases = await pool.LeaseJobs("worker-1", ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)), TimeSpan.FromMinutes(1), 10);
        var done = await pool.Complete(first.Job.Id, JobOutcome.Succeeded, ResourceVector.Of(("cpu_millicores", 900)));
        var again = await pool.Complete(first.Job.Id, JobOutcome.Succeeded, ResourceVector.Of(("cpu_millicores", 900)));

        Assert.True(first.Created);
        Assert.False(retried.Created);
        Assert.Equal(first.Job.Id, retried.Job.Id);
        Assert.Equal(first.Job.Id, Assert.Single(leases).JobId);
        Assert.Equal(CompletionStatus.Completed, done.Status);
        Assert.Equal(CompletionStatus.AlreadyCompleted, again.Status);
        Assert.Equal(1, (await pool.GetTenantUsage(Pools.Alpha)).CompletedJobs);
        Assert.Equal(JobState.Succeeded, (await pool.GetJob(first.Job.Id))!.State);
    }

    [Fact]
    public async Task An_expired_worker_lease_puts_the_job_back_in_the_queue_on_the_pool_timer()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("expiry");
        await pool.Configure(Pools.Small("expiry"));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "job-1"))).Job;
        await pool.LeaseJobs("worker-1", ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)), TimeSpan.FromSeconds(30), 10);

        // The sweep ticks every second and is re-armed when a tick's turn ends, which may be after the clock moved on:
        // time goes forward a second at a time, and a call queued behind each tick's turn sees its effect.
        var state = JobState.Leased;
        for (var second = 0; second < 120 && state == JobState.Leased; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            state = (await pool.GetJob(job.Id))!.State;
        }

        Assert.Equal(JobState.Queued, state);
        var next = await pool.LeaseJobs("worker-2", ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)), TimeSpan.FromSeconds(30), 10);
        Assert.Equal(2, Assert.Single(next).Attempt);
    }

    [Fact]
    public async Task A_lease_that_ran_out_while_its_pool_was_not_active_gets_a_whole_lease_from_the_activation()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("failover");
        await pool.Configure(Pools.Small("failover"));
        var running = (await pool.Submit(Pools.Job(Pools.Alpha, "running"))).Job;
        var gone = (await pool.Submit(Pools.Job(Pools.Alpha, "gone"))).Job;
        var free = ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192));
        var leased = await pool.LeaseJobs("worker-1", free, TimeSpan.FromSeconds(30), 1);
        time.Advance(TimeSpan.FromSeconds(10));
        await pool.LeaseJobs("worker-2", free, TimeSpan.FromSeconds(20), 1);
        Assert.Equal(running.Id, Assert.Single(leased).JobId);

        // The pool's silo goes, and the pool is activated again a minute later, when both leases have run out.
        await cluster.PrimarySilo.Silo.DeactivateAsync(GrainId.Create(FairShareSchedulerGrain.GrainTypeName, "failover"));
        time.Advance(TimeSpan.FromMinutes(1));
        var activatedAt = time.GetUtcNow();
        var resumed = (await pool.GetJob(running.Id))!;
        var resumedGone = (await pool.GetJob(gone.Id))!;

        Assert.Equal((JobState.Leased, 0, activatedAt + TimeSpan.FromSeconds(30)), (resumed.State, resumed.Expiries, resumed.LeaseExpiresAt));
        Assert.Equal((JobState.Leased, activatedAt + TimeSpan.FromSeconds(20)), (resumedGone.State, resumedGone.LeaseExpiresAt));
        Assert.Equal(activatedAt, resumed.LeaseRenewedAt); // renewed by the pool, as of its activation

        // Its worker still runs it and renews; the other's worker is gone, and its job is queued again when the lease
        // from the activation runs out, charged to its attempts as any lost lease is.
        var renewed = await pool.Heartbeat("worker-1", [running.Id], TimeSpan.FromSeconds(30));
        Assert.Equal([running.Id], renewed.Renewed);
        var state = JobState.Leased;
        var waited = TimeSpan.Zero;
        while (state == JobState.Leased && waited < TimeSpan.FromMinutes(2))
        {
            time.Advance(TimeSpan.FromSeconds(1));
            waited += TimeSpan.FromSeconds(1);
            state = (await pool.GetJob(gone.Id))!.State;
        }

        Assert.Equal(JobState.Queued, state);
        Assert.InRange(waited, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(22));
        Assert.Equal(1, (await pool.GetJob(gone.Id))!.Expiries);
    }

    [Fact]
    public async Task A_pool_with_running_jobs_is_not_collected_when_idle_and_one_without_is()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var silo = cluster.PrimarySilo.Silo;
        var running = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("running");
        var idle = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("idle");
        await running.Configure(Pools.Small("running"));
        await idle.Configure(Pools.Small("idle"));
        var job = (await running.Submit(Pools.Job(Pools.Alpha, "job-1"))).Job;
        await running.LeaseJobs("worker-1", ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)), TimeSpan.FromHours(1), 10);

        // No call for 20 minutes, more than the idle time: the worker heartbeats every half hour, say.
        time.Advance(TimeSpan.FromMinutes(20));
        await silo.ActivationQuietAsync(GrainId.Create(FairShareSchedulerGrain.GrainTypeName, "running"));
        await silo.ActivationQuietAsync(GrainId.Create(FairShareSchedulerGrain.GrainTypeName, "idle"));
        await silo.CollectIdleActivationsAsync(TimeSpan.FromMinutes(15));

        Assert.Equal(1, silo.ActivationCountsByType().GetValueOrDefault(FairShareSchedulerGrain.GrainTypeName));
        Assert.Equal(JobState.Leased, (await running.GetJob(job.Id))!.State);
    }

    [Fact]
    public async Task A_pool_shrunk_and_grown_back_before_any_heartbeat_preempts_nothing()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("regrown");
        await pool.Configure(Pools.Small("regrown"));
        for (var i = 0; i < 4; i++)
        {
            await pool.Submit(Pools.Job(Pools.Alpha, $"job-{i}"));
        }

        var leases = await pool.LeaseJobs("worker-1", ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)), TimeSpan.FromMinutes(1), 10);
        await pool.Configure(Pools.Small("regrown") with { Capacity = ResourceVector.Of(("cpu_millicores", 2000), ("memory_mb", 8192)) });
        await pool.Configure(Pools.Small("regrown"));

        var beat = await pool.Heartbeat("worker-1", [.. leases.Select(l => l.JobId)], TimeSpan.FromMinutes(1));

        Assert.Equal(4, leases.Count);
        Assert.Empty(beat.Preempt);
        foreach (var lease in leases)
        {
            Assert.False((await pool.GetJob(lease.JobId))!.PreemptionRequested);
        }
    }

    [Fact]
    public async Task A_pool_id_that_names_no_pool_answers_and_leaves_memory_while_a_pool_stays_active()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var silo = cluster.PrimarySilo.Silo;
        await cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("kept").Configure(Pools.Small("kept"));
        var deleted = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("deleted");
        await deleted.Configure(Pools.Small("deleted"));
        await deleted.Delete(force: false);

        var madeUp = new[] { "made-up-1", "made-up-2" };
        Assert.Null(await cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>(madeUp[0]).GetConfig());
        await Assert.ThrowsAsync<SchedulingException>(() => cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>(madeUp[1]).Submit(Pools.Job(Pools.Alpha, "a")));

        // Bounded so that an activation that stays fails the test instead of hanging it.
        await Task.WhenAll(madeUp.Append("deleted").Select(id => silo.ActivationGoneAsync(GrainId.Create(FairShareSchedulerGrain.GrainTypeName, id))))
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, silo.ActivationCountsByType().GetValueOrDefault(FairShareSchedulerGrain.GrainTypeName));
        Assert.NotNull(await cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("kept").GetConfig());
    }

    [Fact]
    public async Task Bad_input_gets_a_typed_error_with_its_code_and_changes_nothing()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var unknown = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("nowhere");
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("strict");
        await pool.Configure(Pools.Small("strict"));

        var noPool = await Assert.ThrowsAsync<SchedulingException>(() => unknown.Submit(Pools.Job(Pools.Alpha, "a")));
        var tooBig = await Assert.ThrowsAsync<SchedulingException>(() => pool.Submit(Pools.Job(Pools.Alpha, "b", cpu: 64_000)));
        var wrongPool = await Assert.ThrowsAsync<SchedulingException>(() => pool.Configure(Pools.Small("other")));

        Assert.Equal(SchedulingErrorCodes.UnknownPool, noPool.Code);
        Assert.Equal(SchedulingErrorCodes.DemandExceedsCapacity, tooBig.Code);
        Assert.Equal(SchedulingErrorCodes.InvalidPoolConfig, wrongPool.Code);
        Assert.Null(await unknown.GetConfig());
        Assert.Equal(0, (await pool.GetTenantUsage(Pools.Alpha)).QueuedJobs);
    }

    [Fact]
    public async Task A_pool_s_resources_can_be_added_to_but_not_removed()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("resources");
        var config = Pools.Small("resources");
        await pool.Configure(config);

        // Without a job yet, and with one whose usage names memory: the same clear refusal, and nothing changes.
        var withoutMemory = config with { Capacity = ResourceVector.Of(("cpu_millicores", 4000)) };
        var refused = await Assert.ThrowsAsync<SchedulingException>(() => pool.Configure(withoutMemory));
        Assert.Equal(SchedulingErrorCodes.InvalidPoolConfig, refused.Code);
        Assert.Contains("'memory_mb'", refused.Message, StringComparison.Ordinal);
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a"))).Job;
        Assert.Single(await pool.LeaseJobs("w1", ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)), TimeSpan.FromMinutes(1), 1));
        await pool.Complete(job.Id, JobOutcome.Succeeded, null);
        Assert.Equal(SchedulingErrorCodes.InvalidPoolConfig, (await Assert.ThrowsAsync<SchedulingException>(() => pool.Configure(withoutMemory))).Code);
        Assert.Equal(config.Capacity, (await pool.GetConfig())!.Capacity);

        // Adding one is a change like any other: jobs asked for none of it.
        var withGpus = config with { Capacity = ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192), ("gpus", 2)) };
        Assert.Equal(withGpus.Capacity, (await pool.Configure(withGpus)).Capacity);
        Assert.True((await pool.Submit(new SubmitJobRequest(Pools.Alpha, ResourceVector.Of(("gpus", 1)), 0, "b"))).Created);
    }

    [Fact]
    public async Task A_pool_with_jobs_is_deleted_only_when_forced()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("busy");
        await pool.Configure(Pools.Small("busy"));
        await pool.Submit(Pools.Job(Pools.Alpha, "a"));

        var refused = await Assert.ThrowsAsync<SchedulingException>(() => pool.Delete(force: false));
        Assert.Equal(SchedulingErrorCodes.PoolNotEmpty, refused.Code);
        await pool.Delete(force: true);

        Assert.Null(await pool.GetConfig());
    }
}
