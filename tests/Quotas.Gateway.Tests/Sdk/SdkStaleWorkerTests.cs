using Grains.Testing;
using Quotas.Client;

namespace Quotas.Gateway.Tests.Sdk;

/// <summary>A worker whose lease expired reports late through the SDK, after another worker leased the job again.</summary>
public sealed class SdkStaleWorkerTests
{
    private static readonly Dictionary<string, long> s_free = new() { ["cpu"] = 1000 };
    private static readonly TimeSpan s_leaseTtl = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_late_preemption_report_answers_lease_lost_and_leaves_the_job_with_its_new_worker()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        using var http = new HttpClient();
        var admin = new QuotasClient(http, new QuotasClientOptions { BaseAddress = server.Address, ApiKey = GatewayServer.AdminKey });
        await admin.Tenants.CreateAsync(new NewTenant("acme"));
        await admin.Pools.CreateAsync(new Pool { Id = "batch", Capacity = s_free });
        var job = await admin.Jobs.SubmitAsync("acme", "batch", new NewJob(new Dictionary<string, long> { ["cpu"] = 600 }));
        Assert.Single(await admin.Workers.LeaseJobsAsync("batch", "worker-1", s_free, s_leaseTtl));

        // The pool's sweep ticks every second: move time a second at a time until it takes the expired lease back.
        var state = JobState.Leased;
        for (var second = 0; second < 120 && state == JobState.Leased; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            state = (await admin.Jobs.GetAsync("acme", "batch", job.Id)).State;
        }

        Assert.Equal(JobState.Queued, state);
        Assert.Equal(2, Assert.Single(await admin.Workers.LeaseJobsAsync("batch", "worker-2", s_free, s_leaseTtl)).Attempt);

        var stale = await admin.Workers.CompleteAsync("batch", "worker-1", job.Id, JobOutcome.Preempted);

        Assert.Equal(CompletionStatus.LeaseLost, stale.Status);
        Assert.Equal(JobState.Leased, stale.Job!.State);
        Assert.Equal([job.Id], (await admin.Workers.HeartbeatAsync("batch", "worker-2", [job.Id], s_leaseTtl)).Renewed);

        var preempted = await admin.Workers.CompleteAsync("batch", "worker-2", job.Id, JobOutcome.Preempted);
        Assert.Equal(CompletionStatus.Requeued, preempted.Status);
        Assert.Equal(JobState.Queued, preempted.Job!.State);

        // A late success still completes the job: it did run, and completion is counted once.
        var late = await admin.Workers.CompleteAsync("batch", "worker-1", job.Id, JobOutcome.Succeeded);
        Assert.Equal(CompletionStatus.Completed, late.Status);
        Assert.Equal(JobState.Succeeded, late.Job!.State);
    }
}
