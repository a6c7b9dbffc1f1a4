using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class RemoveTenantTests
{
    [Fact]
    public void A_removed_tenants_jobs_are_forgotten_its_capacity_freed_and_the_other_tenants_jobs_kept()
    {
        var s = new FairShareScheduler(WorkerPool(3) with { MaxFinishedJobs = 10 });
        var done = s.Submit("a", Workers(1));
        var other = s.Submit("b", Workers(1));
        s.Lease(Workers(2));
        s.Complete(done.Id, true, null, T0);
        var running = s.Submit("a", Workers(1));
        var queued = s.Submit("a", Workers(1), priority: 5);
        s.Lease(Workers(1));

        var removed = s.RemoveTenant(new TenantId("a"), T0);

        Assert.Equal([done.Id, running.Id, queued.Id], removed.OrderBy(id => id.Value));
        Assert.All(removed, id => Assert.Null(s.Get(id)));
        Assert.Equal(JobState.Leased, s.Get(other.Id)!.State);
        Assert.Equal(0, s.QueuedJobs);
        Assert.Equal(1, s.LeasedJobs);
        Assert.Equal(Workers(1), s.Allocated);
        Assert.Empty(s.List(new TenantId("a"), 10).Jobs);
        Assert.Equal(0, s.GetTenantUsage(new TenantId("a")).CompletedJobs);

        // A tenant created again under the id starts afresh: its key is new to the pool, and the pool has room for it.
        var again = s.Submit(new SubmitJobRequest(new TenantId("a"), Workers(1), 0, running.IdempotencyKey), T0).Job;
        Assert.NotEqual(running.Id, again.Id);
        Assert.Single(s.Lease(Workers(2)));

        // The retention queue no longer holds the forgotten jobs: finishing more jobs forgets only those.
        for (var i = 0; i < 12; i++)
        {
            var job = s.Submit("b", Workers(1));
            Assert.Single(s.Lease(Workers(1)));
            s.Complete(job.Id, true, null, T0);
        }

        Assert.Equal(JobState.Leased, s.Get(other.Id)!.State);
        Assert.Equal(JobState.Leased, s.Get(again.Id)!.State);
    }

    /// <summary>
    /// A tenant the configuration does not list is forgotten altogether once removed: tenants created and deleted over a
    /// pool's life do not pile up in its memory or its store. The fair order goes on among the others, and a tenant
    /// met after takes the removed one's place in it.
    /// </summary>
    [Fact]
    public void A_removed_tenant_the_pool_does_not_list_is_forgotten_and_the_order_goes_on_among_the_others()
    {
        var s = new FairShareScheduler(WorkerPool(100, Guarantee("listed", 1)), trackChanges: true);
        foreach (var tenant in new[] { "a", "b", "c", "listed" })
        {
            s.Submit(tenant, Workers(1));
            s.Submit(tenant, Workers(1));
        }

        var done = Assert.Single(s.Lease(Workers(1), max: 1));
        s.Complete(done.JobId, true, null, T0);
        s.TakeChanges();

        s.RemoveTenant(Id("b"), T0);
        s.RemoveTenant(Id("listed"), T0);
        var changes = s.TakeChanges();

        Assert.Equal(["a", "c", "listed"], s.ListTenantUsage(10).Tenants.Select(t => t.Tenant.Value));
        Assert.True(Assert.Single(changes.Usage, u => u.Tenant == Id("b")).SaysNothing());
        Assert.DoesNotContain(s.ToSnapshot().Usage, u => u.Tenant == Id("b") || u.Tenant == Id("listed"));
        Assert.Equal(Guarantee("listed", 1), s.Config.Tenants.Single());

        // Tenants met after the removal take free places in the order: every queued job is leased, in turn.
        s.Submit("d", Workers(1));
        s.Submit("e", Workers(1));
        var leases = s.Lease(Workers(100), T0);
        Assert.Equal(0, s.QueuedJobs);
        Assert.Equal(done.Tenant == Id("a") ? 1 : 2, leases.CountFor("a"));
        Assert.Equal(done.Tenant == Id("c") ? 1 : 2, leases.CountFor("c"));
        Assert.Equal(1, leases.CountFor("d"));
        Assert.Equal(1, leases.CountFor("e"));
        Assert.Equal(0, leases.CountFor("b"));
    }
}
