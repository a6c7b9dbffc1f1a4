using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using Quotas.Grains.Tests.Scheduling;

namespace Quotas.Grains.Tests.Tenants;

/// <summary>A lease id and an idempotency key name one lease only, across retries and across a tenant's deletion.</summary>
public sealed class LeaseIdentityTests
{
    [Fact]
    public async Task A_tenant_created_again_never_hands_out_a_lease_id_that_a_pool_still_holds_for_the_deleted_one()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var grains = cluster.GrainFactory;
        var alpha = grains.GetGrain<ITenantGrain>("alpha");
        var config = TenantConfig.Create("alpha", Tier.Unlimited, QuotaDefinition.Gauge("concurrent_jobs", QuotaLimit.Hard(1)));
        await alpha.Create(config);
        var pool = grains.GetGrain<IFairShareSchedulerGrain>("outlived");
        await pool.Configure(Pools.Small("outlived"));
        var job = (await pool.Submit(Pools.Job(Pools.Alpha, "a-0", cpu: 100))).Job;
        Assert.Single(await pool.LeaseJobs("w1", ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)), TimeSpan.FromMinutes(1), 10));

        await alpha.Suspend();
        await alpha.Delete(force: true);
        await alpha.Create(config);
        var other = Assert.IsType<AdmissionDecision.Allow>(await alpha.Acquire("concurrent_jobs", 1, TimeSpan.FromMinutes(5), null));

        // The old job ends: the pool releases the lease id it holds from the deleted tenant, which must not be this one.
        await pool.Complete(job.Id, JobOutcome.Succeeded, null);

        Assert.Equal(1, Tenants.Used(await alpha.GetStats(), "concurrent_jobs"));
        Assert.True((await alpha.Renew(other.LeaseId!, TimeSpan.FromMinutes(5))).Renewed);
    }

    [Fact]
    public async Task An_acquire_retried_after_its_parent_refused_asks_again_and_then_holds_a_live_lease()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var grains = cluster.GrainFactory;
        var parent = await Tenants.CreateAsync(grains, "parent", workers: 2);
        var child = await Tenants.CreateAsync(grains, "child", workers: 1, parent: "parent");
        var parentOwn = Assert.IsType<AdmissionDecision.Allow>(await parent.Acquire("workers", 2, TimeSpan.FromMinutes(5), null));

        Assert.False((await child.Acquire("workers", 1, TimeSpan.FromMinutes(5), "retry-me")).IsAllowed);
        await parent.Release(parentOwn.LeaseId!);
        var retried = await child.Acquire("workers", 1, TimeSpan.FromMinutes(5), "retry-me");
        var another = await child.Acquire("workers", 1, TimeSpan.FromMinutes(5), null);

        Assert.True(retried.IsAllowed);
        Assert.Equal(1, Tenants.Used(await child.GetStats(), "workers"));
        Assert.Equal(1, Tenants.Used(await parent.GetStats(), "workers"));
        Assert.False(another.IsAllowed);
    }
}
