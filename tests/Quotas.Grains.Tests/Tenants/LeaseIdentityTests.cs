using Grains;
using Grains.Storage;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;
using Quotas.Grains.Tenants;
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

    /// <summary>
    /// A child's renewal whose parent takes longer to store its hold than the hold's margin (3 s here) still ends
    /// before that hold: the lease runs from when the parent was asked. It ran from the answer before, outlived the
    /// parent's hold, and a renewal after the hold ended found nothing above and passed, uncounted in the parent.
    /// </summary>
    [Fact]
    public async Task A_childs_renewal_ends_before_its_parents_hold_however_long_the_parent_took_to_store_it()
    {
        var time = Noon();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var grains = cluster.GrainFactory;
        await Tenants.CreateAsync(grains, "parent", workers: 10);
        var first = await Tenants.CreateAsync(grains, "first", workers: 10, parent: "parent");
        var second = await Tenants.CreateAsync(grains, "second", workers: 10, parent: "parent");
        var lease = Assert.IsType<AdmissionDecision.Allow>(await first.Acquire("workers", 10, TimeSpan.FromMinutes(1), null));
        var asked = time.GetUtcNow();

        faults.BeforeWrite = ParentWritesTakeThreeSeconds(time);
        var renewed = await first.Renew(lease.LeaseId!, TimeSpan.FromMinutes(1));
        faults.BeforeWrite = null;
        Assert.Equal(asked + TimeSpan.FromMinutes(1), renewed.ExpiresAt); // the parent holds until asked + 1 min + 2 s

        // After the parent's hold ended (asked + 62 s), before a lease renewed from the answer would (asked + 63 s): the
        // lease is over too, and the parent's capacity goes to the second child, once.
        time.Advance(asked + TimeSpan.FromSeconds(62.5) - time.GetUtcNow());
        Assert.False((await first.Renew(lease.LeaseId!, TimeSpan.FromMinutes(1))).Renewed);
        Assert.True((await second.Acquire("workers", 10, TimeSpan.FromMinutes(1), null)).IsAllowed);
    }

    /// <summary>
    /// A renewal whose ancestors took longer to store their holds than the whole time to live asked for ends the lease
    /// (it would run out before it was answered) and lets go of the holds above; renewed from the answer instead, it
    /// outlived them.
    /// </summary>
    [Fact]
    public async Task A_renewal_shorter_than_the_time_its_ancestors_took_ends_the_lease_and_the_holds_above()
    {
        var time = Noon();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var grains = cluster.GrainFactory;
        var (parent, child) = await ParentAndChildAsync(grains);
        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 5, TimeSpan.FromMinutes(1), null));
        faults.BeforeWrite = ParentWritesTakeThreeSeconds(time);

        var renewal = await child.Renew(lease.LeaseId!, TimeSpan.FromSeconds(1));
        faults.BeforeWrite = null;

        Assert.Equal((false, ReasonCodes.LeaseNotFound), (renewal.Renewed, renewal.ReasonCode));
        Assert.Equal(0, Tenants.Used(await child.GetStats(), "workers"));
        Assert.Equal(0, Tenants.Used(await parent.GetStats(), "workers"));
    }

    /// <summary>
    /// A lease number handed out but never stored (the child's write failed after its parent stored a hold under the
    /// lease id, and the release above failed too) is not handed out again by the child's next activation: its next
    /// acquire is a new lease above, not the old one's key with another amount (a conflict before).
    /// </summary>
    [Fact]
    public async Task A_lease_number_that_was_never_stored_is_not_handed_out_again_after_the_tenant_comes_back()
    {
        var time = Noon();
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var grains = cluster.GrainFactory;
        var (parent, child) = await ParentAndChildAsync(grains);
        var writes = new Dictionary<string, int>();
        faults.BeforeWrite = key =>
        {
            var n = writes[key.GrainId.Key] = writes.GetValueOrDefault(key.GrainId.Key) + 1;
            // The child's write of the lease fails, and so does the parent's write of the release that follows.
            return (key.GrainId.Key, n) is ("child", 1) or ("parent", 2)
                ? Task.FromException(new TimeoutException("The database did not answer (a fault the test set)."))
                : Task.CompletedTask;
        };
        await Assert.ThrowsAnyAsync<Exception>(() => child.Acquire("workers", 5, TimeSpan.FromMinutes(5), null));
        faults.BeforeWrite = null;
        await cluster.PrimarySilo.Silo.DeactivateAsync(GrainId.Create(TenantGrain.GrainTypeName, "child"));
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True((await child.Acquire("workers", 3, TimeSpan.FromMinutes(5), null)).IsAllowed);
        Assert.Equal(8, Tenants.Used(await parent.GetStats(), "workers")); // the old hold stays until it runs out
    }

    /// <summary>
    /// A child's lease stored by a write reported as failed (so its first attempt released the hold above) and answered
    /// later to a retry of its acquire is held for in the parent again: a sibling cannot take the parent's capacity
    /// while the lease runs. The retry returned the lease, uncounted above, before.
    /// </summary>
    [Fact]
    public async Task A_lease_stored_by_a_write_reported_failed_is_held_for_above_again_when_its_retry_returns_it()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var grains = cluster.GrainFactory;
        var (parent, child) = await ParentAndChildAsync(grains);
        var sibling = await Tenants.CreateAsync(grains, "sibling", workers: 10, parent: "parent");
        var failedOnce = 0;
        faults.AfterWrite = key =>
        {
            if (key.GrainId.Key == "child" && Interlocked.Exchange(ref failedOnce, 1) == 0)
            {
                throw new TimeoutException("The database stored the write but its answer was lost (a fault the test set).");
            }
        };

        await Assert.ThrowsAnyAsync<Exception>(() => child.Acquire("workers", 10, TimeSpan.FromMinutes(5), "job-1"));
        Assert.Equal(0, Tenants.Used(await parent.GetStats(), "workers")); // released above after the reported failure
        await cluster.PrimarySilo.Silo.DeactivateAsync(GrainId.Create(TenantGrain.GrainTypeName, "child")); // reads what is stored

        var retried = await child.Acquire("workers", 10, TimeSpan.FromMinutes(5), "job-1");

        Assert.True(retried.IsAllowed);
        Assert.Equal(10, Tenants.Used(await parent.GetStats(), "workers"));
        Assert.False((await sibling.Acquire("workers", 1, TimeSpan.FromMinutes(5), null)).IsAllowed);
    }

    /// <summary>Tenant "parent" and its child "child", 10 workers each.</summary>
    private static async Task<(ITenantGrain Parent, ITenantGrain Child)> ParentAndChildAsync(IGrainFactory grains) =>
        (await Tenants.CreateAsync(grains, "parent", workers: 10), await Tenants.CreateAsync(grains, "child", workers: 10, parent: "parent"));

    private static ManualTimeProvider Noon() => new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Every write of the parent's state takes 3 s of the test's clock.</summary>
    private static Func<GrainStateKey, Task> ParentWritesTakeThreeSeconds(ManualTimeProvider time) => key =>
    {
        if (key.GrainId.Key == "parent")
        {
            time.Advance(TimeSpan.FromSeconds(3));
        }

        return Task.CompletedTask;
    };
}
