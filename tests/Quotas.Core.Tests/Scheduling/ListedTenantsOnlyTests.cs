using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class ListedTenantsOnlyTests
{
    private static FairShareScheduler ListedOnlyPool(params string[] listed) =>
        new(WorkerPool(4, [.. listed.Select(t => new TenantShare(Id(t)))]) with { ListedTenantsOnly = true });

    [Fact]
    public void An_unlisted_tenant_is_refused_with_its_code_and_nothing_changes()
    {
        var s = ListedOnlyPool("acme", "globex");
        s.Submit("acme", Workers(1));
        var before = s.Json();

        var e = Assert.Throws<SchedulingException>(() => s.Submit(new SubmitJobRequest(Id("stranger"), Workers(1), 0, "k-1"), T0));

        Assert.Equal(SchedulingErrorCodes.TenantNotInPool, e.Code);
        Assert.Contains("'stranger'", e.Message, StringComparison.Ordinal);
        Assert.Contains("ask an administrator to add the tenant", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("acme", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("globex", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, s.Json());
        Assert.Empty(s.List(Id("stranger"), 10).Jobs);
    }

    [Fact]
    public void An_unlisted_tenant_learns_nothing_about_the_pools_resources_from_a_bad_demand()
    {
        var s = ListedOnlyPool("acme");

        var tooBig = Assert.Throws<SchedulingException>(() => s.Submit(new SubmitJobRequest(Id("stranger"), Workers(5), 0, "k-1"), T0));
        var unknown = Assert.Throws<SchedulingException>(() => s.Submit(new SubmitJobRequest(Id("stranger"), ResourceVector.Of(("gpus", 1)), 0, "k-2"), T0));

        Assert.Equal(SchedulingErrorCodes.TenantNotInPool, tooBig.Code);
        Assert.Equal(SchedulingErrorCodes.TenantNotInPool, unknown.Code);
    }

    [Fact]
    public void A_listed_tenant_is_accepted()
    {
        var s = ListedOnlyPool("acme");

        var result = s.Submit(new SubmitJobRequest(Id("acme"), Workers(1), 0, "k-1"), T0);

        Assert.True(result.Created);
        Assert.Equal(JobState.Queued, result.Job.State);
        Assert.Equal(1, s.QueuedJobs);
    }

    [Fact]
    public void By_default_a_pool_admits_any_tenant()
    {
        var s = new FairShareScheduler(WorkerPool(4, new TenantShare(Id("acme"))));

        var result = s.Submit(new SubmitJobRequest(Id("stranger"), Workers(1), 0, "k-1"), T0);

        Assert.False(s.Config.ListedTenantsOnly);
        Assert.True(result.Created);
    }

    [Fact]
    public void A_tenant_taken_off_the_list_keeps_its_queued_and_running_jobs_but_may_not_submit_new_ones()
    {
        var s = ListedOnlyPool("acme", "globex");
        var running = s.Submit("acme", Workers(4));
        Assert.Single(s.Lease(Workers(4)));
        var queuedRequest = new SubmitJobRequest(Id("acme"), Workers(2), 0, "queued-1");
        var queued = s.Submit(queuedRequest, T0).Job;

        // Replacing the configuration rebuilds the pool from its snapshot, as the pool grain does.
        var narrowed = s.Config with { Tenants = [new TenantShare(Id("globex"))] };
        var after = FairShareScheduler.FromSnapshot(s.ToSnapshot() with { Pool = narrowed });

        Assert.Equal(JobState.Leased, after.Get(running.Id)!.State);
        Assert.Equal(JobState.Queued, after.Get(queued.Id)!.State);
        var retry = after.Submit(queuedRequest, T0.AddSeconds(1));
        Assert.False(retry.Created);
        Assert.Equal(queued.Id, retry.Job.Id);
        var refused = Assert.Throws<SchedulingException>(() => after.Submit(new SubmitJobRequest(Id("acme"), Workers(1), 0, "new-1"), T0.AddSeconds(1)));
        Assert.Equal(SchedulingErrorCodes.TenantNotInPool, refused.Code);

        // Leasing does not look at the list: the running job completes and the queued one goes to a worker.
        Assert.Equal(CompletionStatus.Completed, after.Complete(running.Id, JobOutcome.Succeeded, null, T0.AddSeconds(2)).Status);
        var lease = Assert.Single(after.Lease(Workers(4), T0.AddSeconds(2)));
        Assert.Equal(queued.Id, lease.JobId);
    }
}
