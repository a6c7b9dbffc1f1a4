using Grains;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Tenants;
using Quotas.Grains.Gateway;
using Quotas.Grains.Tenants;

namespace Quotas.Grains.Tests.Tenants;

public sealed class TenantGrainTests
{
    [Fact]
    public async Task Two_hundred_concurrent_acquirers_against_a_limit_of_fifty_get_exactly_fifty_and_then_exactly_the_freed_amount()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var tenant = await Tenants.CreateAsync(cluster.GrainFactory, "exact", workers: 50);

        var first = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => tenant.Acquire("workers", 1, TimeSpan.FromMinutes(5), null))));
        var granted = first.OfType<AdmissionDecision.Allow>().ToList();
        foreach (var lease in granted.Take(7))
        {
            Assert.True(await tenant.Release(lease.LeaseId!));
        }

        var second = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => tenant.Acquire("workers", 1, TimeSpan.FromMinutes(5), null))));

        Assert.Equal(50, granted.Count);
        // Held by leases that will expire: the refusal is "queue and retry later", with an honest retry-after.
        Assert.All(first.Where(d => !d.IsAllowed), d =>
        {
            var queued = Assert.IsType<AdmissionDecision.Queue>(d);
            Assert.Equal(ReasonCodes.QuotaExhausted, queued.Reason);
            Assert.InRange(queued.RetryAfter, TimeSpan.FromTicks(1), TimeSpan.FromMinutes(5));
        });
        Assert.Equal(7, second.Count(d => d.IsAllowed));
        Assert.Equal(50, Tenants.Used(await tenant.GetStats(), "workers"));
    }

    [Fact]
    public async Task A_parent_caps_the_sum_of_its_children_under_concurrency_and_denied_children_keep_nothing()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "org", workers: 10);
        var left = await Tenants.CreateAsync(cluster.GrainFactory, "org-left", workers: 8, parent: "org");
        var right = await Tenants.CreateAsync(cluster.GrainFactory, "org-right", workers: 8, parent: "org");

        var attempts = Enumerable.Range(0, 40).Select(i => Task.Run(() => (i % 2 == 0 ? left : right).Acquire("workers", 1, TimeSpan.FromMinutes(5), null)));
        var decisions = await Task.WhenAll(attempts);

        var leftUsed = Tenants.Used(await left.GetStats(), "workers");
        var rightUsed = Tenants.Used(await right.GetStats(), "workers");
        Assert.Equal(10, decisions.Count(d => d.IsAllowed));
        Assert.Equal(10, Tenants.Used(await parent.GetStats(), "workers"));
        Assert.Equal(10, leftUsed + rightUsed);
        Assert.InRange(leftUsed, 2, 8);
    }

    [Fact]
    public async Task Releasing_a_child_lease_frees_the_parent_reservation_and_a_second_release_changes_nothing()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "team", workers: 2);
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "team-a", workers: 5, parent: "team");

        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 2, TimeSpan.FromMinutes(5), "job-1"));
        var refused = Assert.IsType<AdmissionDecision.Queue>(await child.Acquire("workers", 1, TimeSpan.FromMinutes(5), "job-2"));
        Assert.True(await child.Release(lease.LeaseId!));
        Assert.False(await child.Release(lease.LeaseId!));

        Assert.Equal("workers", refused.Quota);
        Assert.Equal(0, Tenants.Used(await parent.GetStats(), "workers"));
        Assert.Equal(0, Tenants.Used(await child.GetStats(), "workers"));
        Assert.True((await child.Acquire("workers", 2, TimeSpan.FromMinutes(5), "job-3")).IsAllowed);
    }

    [Fact]
    public async Task A_parent_past_its_soft_grace_refuses_a_child_s_renewal_and_the_child_s_lease_then_ends()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var parent = cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("soft");
        await parent.Create(TenantConfig.Create(
            "soft", Tier.Basic, QuotaDefinition.Gauge("workers", QuotaLimit.Soft(10, 15, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)))));
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "soft-a", workers: 20, parent: "soft");
        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 15, TimeSpan.FromMinutes(5), null));
        var renewed = await child.Renew(lease.LeaseId!, TimeSpan.FromMinutes(5));
        Assert.True(renewed.Renewed);

        // The parent has been over its soft limit for longer than its burst and its grace: it renews nothing over it.
        time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        var refused = await child.Renew(lease.LeaseId!, TimeSpan.FromMinutes(5));

        Assert.False(refused.Renewed);
        Assert.Equal(ReasonCodes.SoftGraceExpired, refused.ReasonCode);
        Assert.Equal("workers", refused.Quota);
        Assert.Equal((15L, 10L), (refused.Current!.Value, refused.Limit!.Value));

        // The lease ends when it was to end before the refusal; the parent's hold for it a margin later, never before.
        time.Advance(renewed.ExpiresAt!.Value - time.GetUtcNow());
        Assert.Equal(0, Tenants.Used(await child.GetStats(), "workers"));
        Assert.Equal(15, Tenants.Used(await parent.GetStats(), "workers"));
        time.Advance(TenantGrain.HoldMargin);
        Assert.Equal(0, Tenants.Used(await parent.GetStats(), "workers"));
    }

    /// <param name="parentGpus">The cap the parent adds after the child's lease was granted uncapped there.</param>
    /// <param name="siblingFirst">Whether the sibling takes the parent's whole cap before the child renews.</param>
    [Theory]
    [InlineData(10, false)]
    [InlineData(10, true)]
    [InlineData(4, true)]
    public async Task A_cap_a_parent_adds_after_a_child_s_lease_holds_for_it_at_the_child_s_next_renewal_or_refuses_that(long parentGpus, bool siblingFirst)
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "lab", workers: 10);
        var child = cluster.GrainFactory.GetGrain<ITenantGrain>("lab-a");
        await child.Create(TenantConfig.Create("lab-a", Tier.Basic, QuotaDefinition.Gauge("gpus", QuotaLimit.Hard(8))) with { ParentId = TenantId.Parse("lab") });
        var sibling = await Tenants.CreateAsync(cluster.GrainFactory, "lab-b", workers: 10, parent: "lab");
        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("gpus", 8, TimeSpan.FromMinutes(10), null));

        // The parent caps gpus from now on; the child learns it (as the parent tells it, awaited here).
        await parent.UpdateQuotas([QuotaDefinition.Gauge("workers", QuotaLimit.Hard(10)), QuotaDefinition.Gauge("gpus", QuotaLimit.Hard(parentGpus))]);
        await child.ParentQuotasChanged();
        await sibling.ParentQuotasChanged();
        if (siblingFirst)
        {
            Assert.True((await sibling.Acquire("gpus", parentGpus, TimeSpan.FromMinutes(5), null)).IsAllowed);
        }

        var renewal = await child.Renew(lease.LeaseId!, TimeSpan.FromMinutes(5));

        if (siblingFirst)
        {
            // Counted at last, the lease would put the parent over its cap: the renewal is refused, nothing is held for it.
            // Told to wait for the sibling's lease to end (the parent holds it that long and a margin more) when the
            // lease fits the cap then, before its own end, and not told to wait when it never fits.
            Assert.False(renewal.Renewed);
            Assert.Equal("gpus", renewal.Quota);
            Assert.Equal(parentGpus >= 8 ? TimeSpan.FromMinutes(5) + TenantGrain.HoldMargin : null, renewal.RetryAfter);
            Assert.Equal(parentGpus, Tenants.Used(await parent.GetStats(), "gpus"));
        }
        else
        {
            // Counted at the parent from this renewal on: the sibling gets only what is left.
            Assert.True(renewal.Renewed);
            Assert.Equal(8, Tenants.Used(await parent.GetStats(), "gpus"));
            Assert.False((await sibling.Acquire("gpus", 3, TimeSpan.FromMinutes(5), null)).IsAllowed);
            Assert.True((await sibling.Acquire("gpus", 2, TimeSpan.FromMinutes(5), null)).IsAllowed);
        }
    }

    /// <summary>
    /// A lease its parent refuses raises no alert in the child: taken back, it left the child's 80 % alert behind for
    /// usage that never happened, one more at every retry, pushing real alerts out of the feed.
    /// </summary>
    [Fact]
    public async Task A_lease_the_parent_refuses_leaves_no_alert_in_the_child()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        await Tenants.CreateAsync(cluster.GrainFactory, "full-parent", workers: 5);
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "refused-child", workers: 10, parent: "full-parent");
        Assert.True((await child.Acquire("workers", 5, TimeSpan.FromMinutes(5), null)).IsAllowed); // 50 %: no alert

        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.False((await child.Acquire("workers", 3, TimeSpan.FromMinutes(5), null)).IsAllowed); // 80 % here, refused above
        }

        Assert.Empty(await child.GetAlerts(0));
        Assert.Equal(5, Tenants.Used(await child.GetStats(), "workers"));
    }

    /// <summary>
    /// A delete without force refused for live leases says which of them only force ends: a hold for a child's lease
    /// renews with it, so "release them or wait for them to expire" could not be done.
    /// </summary>
    [Fact]
    public async Task A_delete_refused_for_holds_of_its_children_says_only_force_ends_them()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "holder", workers: 10);
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "held-child", workers: 10, parent: "holder");
        Assert.True((await child.Acquire("workers", 2, TimeSpan.FromMinutes(5), null)).IsAllowed);
        await parent.Suspend();

        var refused = await Assert.ThrowsAsync<QuotaValidationException>(() => parent.Delete(force: false));

        Assert.Equal(TenantErrors.LeasesLive, refused.Code);
        Assert.Equal(
            "Tenant 'holder' still holds 1 live leases (1 held for its child tenants' leases and 0 for jobs running in pools, which only a delete with force ends); delete with force.",
            refused.Message);
    }

    /// <summary>
    /// An update that leaves out a gauge with live leases is refused and changes nothing: dropped uncounted, put back,
    /// the gauge admitted past its limit beside the holders still running (and its parent kept holding for them).
    /// </summary>
    [Fact]
    public async Task Leaving_out_a_gauge_that_has_live_leases_is_refused_until_they_end()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var tenant = cluster.GrainFactory.GetGrain<ITenantGrain>("gpu-lab");
        var gpus = QuotaDefinition.Gauge("gpus", QuotaLimit.Hard(2));
        var workers = QuotaDefinition.Gauge("workers", QuotaLimit.Hard(10));
        await tenant.Create(TenantConfig.Create("gpu-lab", Tier.Basic, gpus, workers));
        var first = Assert.IsType<AdmissionDecision.Allow>(await tenant.Acquire("gpus", 1, TimeSpan.FromMinutes(5), null));
        Assert.True((await tenant.Acquire("gpus", 1, TimeSpan.FromMinutes(5), null)).IsAllowed);

        var refused = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.UpdateQuotas([workers]));

        Assert.Equal(TenantErrors.LeasesLive, refused.Code);
        Assert.Contains("Gauge 'gpus'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("2 live leases", refused.Message, StringComparison.Ordinal);
        Assert.Contains((await tenant.GetConfig()).Quotas, q => q.Name == "gpus");
        Assert.False((await tenant.Acquire("gpus", 1, TimeSpan.FromMinutes(5), null)).IsAllowed);

        // Changing the gauge's limit keeps its leases, and so does the update that leaves out a gauge nothing holds.
        await tenant.UpdateQuotas([QuotaDefinition.Gauge("gpus", QuotaLimit.Hard(3))]);
        Assert.Equal(2, Tenants.Used(await tenant.GetStats(), "gpus"));
        Assert.True(await tenant.Release(first.LeaseId!));
        Assert.Equal(1, Tenants.Used(await tenant.GetStats(), "gpus"));
    }

    /// <summary>
    /// A parent that takes out a gauge its child only inherits leaves the child's live lease of it standing: renewed,
    /// and counted when the parent puts the gauge back (the child admits only what is left beside it); meanwhile the
    /// child admits no new lease of it, and the gauge leaves the child once its leases ended. The child used to drop the lease at once: its renewal answered lease_not_found
    /// while the holder ran on, and the gauge, put back, admitted 10 more beside the 6 still held.
    /// </summary>
    [Fact]
    public async Task A_gauge_a_parent_takes_out_stays_in_a_child_that_only_inherits_it_while_the_child_s_leases_of_it_live()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var gpus = QuotaDefinition.Gauge("gpus", QuotaLimit.Hard(10));
        var cpu = QuotaDefinition.Gauge("cpu", QuotaLimit.Hard(1));
        var parent = cluster.GrainFactory.GetGrain<ITenantGrain>("lab");
        await parent.Create(TenantConfig.Create("lab", Tier.Basic, gpus));
        var child = cluster.GrainFactory.GetGrain<ITenantGrain>("lab-a");
        await child.Create(TenantConfig.Create("lab-a", Tier.Basic) with { ParentId = TenantId.Parse("lab") });
        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("gpus", 6, TimeSpan.FromMinutes(10), null));

        await parent.UpdateQuotas([cpu]);
        await child.ParentQuotasChanged();
        var renewed = await child.Renew(lease.LeaseId!, TimeSpan.FromMinutes(10));
        var whileRetiring = await child.Acquire("gpus", 1, TimeSpan.FromMinutes(5), null);
        await parent.UpdateQuotas([gpus]);
        await child.ParentQuotasChanged();
        var beyond = await child.Acquire("gpus", 5, TimeSpan.FromMinutes(5), null);
        var within = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("gpus", 4, TimeSpan.FromMinutes(5), null));

        Assert.True(renewed.Renewed);
        Assert.Equal(ReasonCodes.RequestExceedsLimit, Assert.IsType<AdmissionDecision.Deny>(whileRetiring).ReasonCode); // no new lease of a gauge taken out
        Assert.False(beyond.IsAllowed);
        Assert.Equal(10, Tenants.Used(await child.GetStats(), "gpus"));

        // Taken out again: the gauge stays while a lease of it lives, and goes with the last one.
        await parent.UpdateQuotas([cpu]);
        await child.ParentQuotasChanged();
        Assert.True(await child.Release(lease.LeaseId!));
        await child.ParentQuotasChanged();
        Assert.Contains(await child.GetEffectiveQuotas(), q => q.Name == "gpus");
        Assert.True(await child.Release(within.LeaseId!));
        await child.ParentQuotasChanged();
        Assert.DoesNotContain(await child.GetEffectiveQuotas(), q => q.Name == "gpus");
    }

    /// <summary>
    /// The same gauge, kept at 0 for a lease when its parent is deleted (whose last quotas stay in force): it still leaves
    /// the child once the lease has ended. It used to stay at 0 for good, refusing the tenant's pool jobs that need it.
    /// </summary>
    [Fact]
    public async Task A_gauge_kept_for_a_lease_leaves_the_child_once_the_lease_ends_also_while_the_parent_is_deleted()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var parent = cluster.GrainFactory.GetGrain<ITenantGrain>("lab");
        await parent.Create(TenantConfig.Create("lab", Tier.Basic, QuotaDefinition.Gauge("gpus", QuotaLimit.Hard(10)), QuotaDefinition.Gauge("cpu", QuotaLimit.Hard(4))));
        var child = cluster.GrainFactory.GetGrain<ITenantGrain>("lab-a");
        await child.Create(TenantConfig.Create("lab-a", Tier.Basic) with { ParentId = TenantId.Parse("lab") });
        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("gpus", 6, TimeSpan.FromMinutes(10), null));
        await parent.UpdateQuotas([QuotaDefinition.Gauge("cpu", QuotaLimit.Hard(4))]);
        await child.ParentQuotasChanged();

        await parent.Suspend();
        await parent.Delete(force: true);
        await child.ParentQuotasChanged();
        var whileHeld = await child.GetEffectiveQuotas();
        Assert.True(await child.Release(lease.LeaseId!));
        await child.ParentQuotasChanged();
        var afterwards = await child.GetEffectiveQuotas();

        Assert.Contains(whileHeld, q => q.Name == "gpus");
        Assert.DoesNotContain(afterwards, q => q.Name == "gpus");
        Assert.Contains(afterwards, q => q.Name == "cpu" && q.Limit.Limit == 4); // the deleted parent's last quotas stay
    }

    [Fact]
    public async Task A_cap_a_grandparent_adds_holds_for_a_grandchild_s_lease_at_its_next_renewal_through_the_parent()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var top = await GpusAsync(cluster.GrainFactory, "corp", null);
        var middle = await GpusAsync(cluster.GrainFactory, "corp-eu", "corp");
        var child = await GpusAsync(cluster.GrainFactory, "corp-eu-1", "corp-eu");
        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("gpus", 6, TimeSpan.FromMinutes(5), null));
        Assert.Equal(6, Tenants.Used(await top.GetStats(), "gpus"));

        // The top's cap goes and comes back: its holds went with it, the middle's stayed.
        await top.UpdateQuotas([QuotaDefinition.Gauge("cpu", QuotaLimit.Hard(1))]);
        await middle.ParentQuotasChanged();
        await top.UpdateQuotas([QuotaDefinition.Gauge("gpus", QuotaLimit.Hard(10))]);
        await middle.ParentQuotasChanged();
        Assert.Equal(0, Tenants.Used(await top.GetStats(), "gpus"));

        Assert.True((await child.Renew(lease.LeaseId!, TimeSpan.FromMinutes(5))).Renewed);

        Assert.Equal(6, Tenants.Used(await top.GetStats(), "gpus"));
        Assert.Equal(6, Tenants.Used(await middle.GetStats(), "gpus"));
    }

    [Fact]
    public async Task Renewing_a_lease_the_child_no_longer_holds_extends_nothing_in_its_parent()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "grp", workers: 10);
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "grp-a", workers: 10, parent: "grp");
        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 5, TimeSpan.FromMinutes(1), null));

        // The parent's hold outlives the child's lease (as when the parent reserved or renewed a little later).
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True((await parent.RenewChildReservation($"grp-a/{lease.LeaseId}", TimeSpan.FromMinutes(5))).Renewed);
        time.Advance(TimeSpan.FromSeconds(31));

        var renewal = await child.Renew(lease.LeaseId!, TimeSpan.FromMinutes(5));

        Assert.False(renewal.Renewed);
        Assert.Equal(ReasonCodes.LeaseNotFound, renewal.ReasonCode);
        Assert.Equal(5, Tenants.Used(await parent.GetStats(), "workers"));
        time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(31) + TenantGrain.HoldMargin); // the parent's hold runs out as it was
        Assert.Equal(0, Tenants.Used(await parent.GetStats(), "workers"));
    }

    [Fact]
    public async Task A_retried_acquire_of_a_released_lease_holds_nothing_in_a_parent_that_forgot_it()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "dept", workers: 10);
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "dept-a", workers: 10, parent: "dept");
        var sibling = await Tenants.CreateAsync(cluster.GrainFactory, "dept-b", workers: 10, parent: "dept");
        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 5, TimeSpan.FromHours(1), "k1"));
        Assert.True(await child.Release(lease.LeaseId!));

        // The parent remembers the holds it released for all its children together; the sibling's make it forget.
        for (var i = 0; i <= LeaseBook.RememberedReleases; i++)
        {
            var other = Assert.IsType<AdmissionDecision.Allow>(await sibling.Acquire("workers", 1, TimeSpan.FromHours(1), null));
            await sibling.Release(other.LeaseId!);
        }

        // The retry is answered with the released lease, as the child remembers it, and reserves nothing anew.
        var replay = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 5, TimeSpan.FromHours(1), "k1"));
        Assert.Equal(lease.LeaseId, replay.LeaseId);
        Assert.Equal(0, Tenants.Used(await parent.GetStats(), "workers"));
        Assert.Equal(0, Tenants.Used(await child.GetStats(), "workers"));
    }

    /// <summary>
    /// A lease whose write failed in the child is not acknowledged, and its hold in the parent is released; the next
    /// lease gets a new id, and the parent holds it (under the old id, the parent would answer from the released hold
    /// and hold nothing, so the subtree could take more than the parent's limit).
    /// </summary>
    [Fact]
    public async Task After_a_childs_lease_write_failed_its_next_lease_is_held_in_the_parent()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "unit", workers: 10);
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "unit-a", workers: 10, parent: "unit");
        var sibling = await Tenants.CreateAsync(cluster.GrainFactory, "unit-b", workers: 10, parent: "unit");

        faults.BeforeWrite = key => key.GrainId.Key == "unit-a" ? throw new InvalidOperationException("injected write failure") : Task.CompletedTask;
        await Assert.ThrowsAnyAsync<Exception>(() => child.Acquire("workers", 4, TimeSpan.FromHours(1), null));
        faults.BeforeWrite = null;
        Assert.Equal(0, Tenants.Used(await parent.GetStats(), "workers"));

        Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 4, TimeSpan.FromHours(1), null));
        Assert.Equal(4, Tenants.Used(await parent.GetStats(), "workers"));
        Assert.IsType<AdmissionDecision.Queue>(await sibling.Acquire("workers", 7, TimeSpan.FromHours(1), null));
    }

    /// <summary>
    /// Acquires a grandparent refused hand out lease ids the child never stores; activated again, the child hands them
    /// out again, and its parent holds the new lease (it answered from the refused one's ended hold before, holding
    /// nothing, so the subtree could take more than the parent's limit).
    /// </summary>
    [Fact]
    public async Task A_lease_id_a_refused_acquire_handed_out_is_held_afresh_when_it_comes_again()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var grandparent = await Tenants.CreateAsync(cluster.GrainFactory, "hq", workers: 1);
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "hq-ops", workers: 10, parent: "hq");
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "hq-ops-a", workers: 10, parent: "hq-ops");
        var sibling = await Tenants.CreateAsync(cluster.GrainFactory, "hq-dev", workers: 10, parent: "hq");
        var full = Assert.IsType<AdmissionDecision.Allow>(await sibling.Acquire("workers", 1, TimeSpan.FromHours(1), null));
        Assert.IsType<AdmissionDecision.Queue>(await child.Acquire("workers", 1, TimeSpan.FromHours(1), null)); // "hq-ops-a:1"
        Assert.IsType<AdmissionDecision.Queue>(await child.Acquire("workers", 1, TimeSpan.FromHours(1), null)); // "hq-ops-a:2"
        Assert.True(await sibling.Release(full.LeaseId!));

        // The child alone is collected: the parent keeps in memory what it did for the refused acquires.
        time.Advance(TimeSpan.FromSeconds(20));
        await grandparent.GetStats();
        await parent.GetStats();
        await sibling.GetStats();
        await cluster.PrimarySilo.Silo.CollectIdleActivationsAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, cluster.PrimarySilo.Silo.ActivationCountsByType()[TenantGrain.GrainTypeName]);

        Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 1, TimeSpan.FromHours(1), null));

        Assert.Equal(1, Tenants.Used(await parent.GetStats(), "workers"));
        Assert.Equal(1, Tenants.Used(await grandparent.GetStats(), "workers"));
    }

    /// <summary>
    /// A tenant whose windows still count is collected when idle like any other, and hands them over: its next
    /// activation refuses what its limit no longer allows, rather than hand the limit out again.
    /// </summary>
    [Fact]
    public async Task A_tenant_collected_when_idle_hands_its_rate_windows_to_its_next_activation()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T09:00:00Z"));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = cluster.GrainFactory.GetGrain<ITenantGrain>("exports");
        await tenant.Create(TenantConfig.Create("exports", Tier.Basic, QuotaDefinition.SlidingWindow("exports", QuotaLimit.Hard(3), TimeSpan.FromHours(1))));
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await tenant.CheckRate("exports", 1)).Allowed);
        }

        var silo = cluster.PrimarySilo.Silo;
        time.Advance(TimeSpan.FromMinutes(20));
        await silo.ActivationQuietAsync(GrainId.Create(TenantGrain.GrainTypeName, "exports"));
        await silo.CollectIdleActivationsAsync(TimeSpan.FromMinutes(15));
        Assert.Equal(0, silo.ActivationCountsByType().GetValueOrDefault(TenantGrain.GrainTypeName));

        var refused = await tenant.CheckRate("exports", 1);
        Assert.False(refused.Allowed);
        Assert.Equal(3, refused.Current);

        // Once the hour has passed, its hits have left the window.
        time.Advance(TimeSpan.FromMinutes(41));
        Assert.True((await tenant.CheckRate("exports", 1)).Allowed);
    }

    /// <summary>A write that fails puts the tenant back as stored, but for its rate windows, which go on counting.</summary>
    [Fact]
    public async Task A_failed_write_leaves_the_rate_windows_counting()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var tenant = cluster.GrainFactory.GetGrain<ITenantGrain>("windowed");
        await tenant.Create(TenantConfig.Create(
            "windowed", Tier.Basic, QuotaDefinition.SlidingWindow("calls", QuotaLimit.Hard(2), TimeSpan.FromHours(1)), QuotaDefinition.Gauge("workers", QuotaLimit.Hard(5))));
        Assert.True((await tenant.CheckRate("calls", 2)).Allowed);

        faults.FailWritesOf = "tenant";
        await Assert.ThrowsAnyAsync<Exception>(() => tenant.Acquire("workers", 1, TimeSpan.FromMinutes(1), null));
        faults.FailWritesOf = null;

        Assert.False((await tenant.CheckRate("calls", 1)).Allowed);
    }

    /// <summary>
    /// A delete that is stored is answered as done though the tenants' directory cannot be written: the id stays listed
    /// (listings skip ids that answer unknown_tenant) and the tenant is gone.
    /// </summary>
    [Fact]
    public async Task A_stored_delete_succeeds_though_the_tenants_directory_cannot_unlist_the_id()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var tenant = await Tenants.CreateAsync(cluster.GrainFactory, "unlisted", workers: 5);
        await tenant.Suspend();

        faults.FailWritesOf = "tenant-directory";
        await tenant.Delete(force: false);
        faults.FailWritesOf = null;

        Assert.Equal(TenantErrors.UnknownTenant, (await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetConfig())).Code);
        Assert.Equal(["unlisted"], await cluster.GrainFactory.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.Key).List(null, 10));
    }

    /// <summary>A renewal that finds the lease run out once its ancestors have renewed their holds for it releases those holds.</summary>
    [Fact]
    public async Task A_renewal_that_finds_the_lease_gone_after_the_parent_renewed_its_hold_releases_that_hold()
    {
        var time = new ManualTimeProvider(DateTimeOffset.Parse("2026-12-06T09:00:00Z"));
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "holding", workers: 5);
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "holding-a", workers: 5, parent: "holding");
        var lease = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 2, TimeSpan.FromSeconds(10), null));
        Assert.Equal(2, Tenants.Used(await parent.GetStats(), "workers"));

        // The parent stores its renewed hold only after the child's lease has run out.
        var parentWrite = new HeldWrite("tenant", "holding");
        faults.BeforeWrite = parentWrite.Gate;
        var renewing = child.Renew(lease.LeaseId!, TimeSpan.FromSeconds(10));
        await parentWrite.Entered;
        time.Advance(TimeSpan.FromSeconds(11));
        parentWrite.Proceed();

        Assert.False((await renewing).Renewed);
        Assert.Equal(0, Tenants.Used(await parent.GetStats(), "workers"));
    }

    /// <summary>A child goes on when its parent is deleted with force; its own quotas can still be changed.</summary>
    [Fact]
    public async Task A_child_whose_parent_was_deleted_can_still_have_its_quotas_changed()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "gone", workers: 5);
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "gone-a", workers: 10, parent: "gone");
        await parent.Suspend();
        await parent.Delete(force: true);

        var updated = await child.UpdateQuotas([QuotaDefinition.Gauge("workers", QuotaLimit.Hard(3))]);

        Assert.Equal(3, updated.Quotas.Single().Limit.Limit);
        Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 2, TimeSpan.FromMinutes(5), null));
        Assert.IsType<AdmissionDecision.Queue>(await child.Acquire("workers", 2, TimeSpan.FromMinutes(5), null));
    }

    [Fact]
    public async Task An_acquire_that_fails_in_a_grandparent_leaves_no_hold_in_the_parent()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var grandparent = await Tenants.CreateAsync(cluster.GrainFactory, "corp", workers: 10);
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "corp-unit", workers: 10, parent: "corp");
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "corp-team", workers: 10, parent: "corp-unit");

        // The grandparent cannot store its hold: the acquire fails at the top, after the parent reserved in memory.
        var write = new HeldWrite("tenant", "corp", failWith: "injected write failure");
        faults.BeforeWrite = write.Gate;
        write.Proceed();
        await Assert.ThrowsAnyAsync<Exception>(() => child.Acquire("workers", 5, TimeSpan.FromHours(1), null));

        Assert.Equal(0, Tenants.Used(await grandparent.GetStats(), "workers"));
        Assert.Equal(0, Tenants.Used(await parent.GetStats(), "workers"));
        Assert.Equal(0, Tenants.Used(await child.GetStats(), "workers"));
        Assert.True((await child.Acquire("workers", 10, TimeSpan.FromHours(1), null)).IsAllowed);
    }

    [Fact]
    public async Task A_child_of_a_deleted_parent_goes_on_under_its_own_quotas()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var parent = await Tenants.CreateAsync(cluster.GrainFactory, "old-org", workers: 10);
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "old-org-team", workers: 5, parent: "old-org");
        var held = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 2, TimeSpan.FromHours(1), null));
        await parent.Suspend();
        await parent.Delete(force: true);

        // The parent's cap went with it: the child acquires, renews and releases under its own limit of 5.
        Assert.True((await child.Renew(held.LeaseId!, TimeSpan.FromHours(1))).Renewed);
        var more = Assert.IsType<AdmissionDecision.Allow>(await child.Acquire("workers", 3, TimeSpan.FromHours(1), null));
        Assert.IsType<AdmissionDecision.Queue>(await child.Acquire("workers", 1, TimeSpan.FromHours(1), null));
        Assert.True(await child.Release(held.LeaseId!));
        Assert.Equal(3, Tenants.Used(await child.GetStats(), "workers"));

        await child.Suspend();
        await child.Delete(force: true);
        await Assert.ThrowsAsync<QuotaValidationException>(() => child.Renew(more.LeaseId!, TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task Deleting_a_middle_tenant_releases_what_its_ancestors_hold_for_its_children()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var top = await Tenants.CreateAsync(cluster.GrainFactory, "top", workers: 10);
        var middle = await Tenants.CreateAsync(cluster.GrainFactory, "top-mid", workers: 10, parent: "top");
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "top-mid-leaf", workers: 10, parent: "top-mid");
        Assert.True((await child.Acquire("workers", 4, TimeSpan.FromHours(1), null)).IsAllowed);
        Assert.Equal(4, Tenants.Used(await top.GetStats(), "workers"));

        await middle.Suspend();
        await middle.Delete(force: true);

        // The top held 4 for the leaf's lease through the middle tenant; that hold goes with it.
        Assert.Equal(0, Tenants.Used(await top.GetStats(), "workers"));
        Assert.True((await top.Acquire("workers", 10, TimeSpan.FromHours(1), null)).IsAllowed);
    }

    [Fact]
    public async Task A_middle_tenant_whose_delete_fails_leaves_its_ancestors_holding_for_its_children()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var top = await Tenants.CreateAsync(cluster.GrainFactory, "hq", workers: 10);
        var middle = await Tenants.CreateAsync(cluster.GrainFactory, "hq-mid", workers: 10, parent: "hq");
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "hq-mid-leaf", workers: 10, parent: "hq-mid");
        Assert.True((await child.Acquire("workers", 4, TimeSpan.FromHours(1), null)).IsAllowed);
        await middle.Suspend();

        var write = new HeldWrite("tenant", "hq-mid", failWith: "injected write failure");
        faults.BeforeWrite = write.Gate;
        write.Proceed();
        await Assert.ThrowsAnyAsync<Exception>(() => middle.Delete(force: true));

        // The middle tenant is still there, suspended, and its child's lease still counts at the top.
        Assert.Equal(4, Tenants.Used(await top.GetStats(), "workers"));
        Assert.Equal(TenantStatus.Suspended, (await middle.GetStats()).Status);
        faults.BeforeWrite = null;
        await middle.Delete(force: true);
        Assert.Equal(0, Tenants.Used(await top.GetStats(), "workers"));
    }

    [Fact]
    public async Task A_suspended_tenant_is_denied_keeps_its_leases_and_is_deleted_only_when_forced()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var tenant = await Tenants.CreateAsync(cluster.GrainFactory, "paused", workers: 5);
        await tenant.Acquire("workers", 2, TimeSpan.FromMinutes(5), null);

        var notSuspended = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.Delete(force: false));
        await tenant.Suspend();
        var denied = Assert.IsType<AdmissionDecision.Deny>(await tenant.Acquire("workers", 1, TimeSpan.FromMinutes(5), null));
        var leasesLive = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.Delete(force: false));
        var keptWhileSuspended = Tenants.Used(await tenant.GetStats(), "workers");
        await tenant.Delete(force: true);

        Assert.Equal(TenantErrors.NotSuspended, notSuspended.Code);
        Assert.Equal(ReasonCodes.TenantSuspended, denied.ReasonCode);
        Assert.Equal(TenantErrors.LeasesLive, leasesLive.Code);
        Assert.Equal(2, keptWhileSuspended);
        Assert.Equal(TenantErrors.UnknownTenant, (await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.GetConfig())).Code);
    }

    [Fact]
    public async Task Deleting_a_tenant_revokes_its_keys_including_one_recorded_but_not_yet_stored()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var tenant = await Tenants.CreateAsync(cluster.GrainFactory, "leaving", workers: 5);
        var hash = new string('a', 64);
        await tenant.AddApiKey("stored");
        await cluster.GrainFactory.GetGrain<IApiKeyGrain>("stored").Register("leaving", hash);
        // The issuing request recorded this key in the tenant and has not stored it yet when the tenant is deleted.
        await tenant.AddApiKey("in-flight");

        await tenant.Suspend();
        var recorded = await tenant.GetApiKeyIds();
        await tenant.Delete(force: false);
        var lateRegistration = await Assert.ThrowsAsync<QuotaValidationException>(
            () => cluster.GrainFactory.GetGrain<IApiKeyGrain>("in-flight").Register("leaving", hash));

        Assert.Equal(["stored", "in-flight"], recorded);
        Assert.Empty(await tenant.GetApiKeyIds());
        Assert.Null(await cluster.GrainFactory.GetGrain<IApiKeyGrain>("stored").Verify(hash));
        Assert.Equal(ApiKeyGrain.KeyExists, lateRegistration.Code);
        Assert.Equal(TenantErrors.UnknownTenant, (await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.AddApiKey("after"))).Code);
    }

    [Fact]
    public async Task Bad_input_gets_a_typed_error_and_changes_nothing()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var tenant = await Tenants.CreateAsync(cluster.GrainFactory, "careful", workers: 5);

        var unknown = await Assert.ThrowsAsync<QuotaValidationException>(() => cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("ghost").Acquire("workers", 1, TimeSpan.FromMinutes(1), null));
        var zero = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.Acquire("workers", 0, TimeSpan.FromMinutes(1), null));
        var negative = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.Acquire("workers", -3, TimeSpan.FromMinutes(1), null));
        var overflow = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.Acquire("workers", long.MaxValue, TimeSpan.FromMinutes(1), null));
        var unknownQuota = await Assert.ThrowsAsync<QuotaValidationException>(() => tenant.Acquire("gpus", 1, TimeSpan.FromMinutes(1), null));
        var ownParent = await Assert.ThrowsAsync<QuotaValidationException>(() => Tenants.CreateAsync(cluster.GrainFactory, "loop", workers: 1, parent: "loop"));
        var missingParent = await Assert.ThrowsAsync<QuotaValidationException>(() => Tenants.CreateAsync(cluster.GrainFactory, "orphan", workers: 1, parent: "nobody"));
        var badId = Assert.Throws<QuotaValidationException>(() => TenantId.Parse("Not_Valid"));

        Assert.Equal(TenantErrors.UnknownTenant, unknown.Code);
        Assert.Equal(ValidationCodes.InvalidAmount, zero.Code);
        Assert.Equal(ValidationCodes.InvalidAmount, negative.Code);
        Assert.Contains(overflow.Code, new[] { ValidationCodes.InvalidAmount, ValidationCodes.AmountOverflow });
        Assert.Equal(ValidationCodes.UnknownQuota, unknownQuota.Code);
        Assert.Equal(ValidationCodes.HierarchyCycle, ownParent.Code);
        Assert.Equal(TenantErrors.UnknownParent, missingParent.Code);
        Assert.Equal(ValidationCodes.InvalidTenantId, badId.Code);
        Assert.Equal(0, Tenants.Used(await tenant.GetStats(), "workers"));
        await Assert.ThrowsAsync<QuotaValidationException>(() => cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("loop").GetConfig());
    }

    [Fact]
    public async Task A_parents_changed_quota_reaches_its_active_child_and_grandchild_at_once_applied_to_what_they_counted()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var hour = TimeSpan.FromHours(1);
        var parent = cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("holding");
        await parent.Create(TenantConfig.Create("holding", Tier.Basic, QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(5), hour)));
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "holding-unit", workers: 2, parent: "holding");
        var grandchild = await Tenants.CreateAsync(cluster.GrainFactory, "holding-team", workers: 1, parent: "holding-unit");
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await child.HitRate("api", 1)).Decision.Allowed);
        }

        // The clock stands still: no refresh interval passes, the parent tells its children itself.
        await parent.UpdateQuotas([QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(3), hour)]);
        var after = (await child.HitRate("api", 1)).Decision;

        // The three hits the child's window counted under the old limit count against the new one.
        Assert.False(after.Allowed);
        Assert.Equal(3, after.Limit);
        Assert.Equal(3, after.Current);
        Assert.Equal(3, (await child.GetEffectiveQuotas()).Single(q => q.Name == "api").Limit.Limit);
        Assert.Equal(3, (await grandchild.GetEffectiveQuotas()).Single(q => q.Name == "api").Limit.Limit);
    }

    /// <summary>
    /// A write that fails puts the tenant back as stored, but a rate alert raised since the last write stays (its
    /// crossing stays marked, so it would never be reported again) and is stored by the next second. The alert the
    /// failed call raised goes with it, and its number does not make the tenant write its row every second after.
    /// </summary>
    [Fact]
    public async Task A_failed_write_keeps_the_rate_alerts_not_yet_stored_and_leaves_no_write_behind()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var tenant = cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("refailed");
        await tenant.Create(TenantConfig.Create(
            "refailed", Tier.Basic, QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(10), TimeSpan.FromHours(1)), QuotaDefinition.Budget("spend", QuotaLimit.Hard(10), BudgetPeriod.Month)));
        await HitAllowedAsync(tenant, 8); // 80 % of the rate: an alert in memory, stored by the next second
        faults.FailWritesOf = "tenant";
        await Assert.ThrowsAnyAsync<Exception>(() => tenant.RecordUsage("e1", "spend", 9)); // 90 % of the budget, not stored
        faults.FailWritesOf = null;
        var writes = 0;
        faults.AfterWrite = key =>
        {
            if (key.ToString().Contains("refailed", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref writes);
            }
        };

        var kept = Assert.Single(await tenant.GetAlerts(0));
        for (var second = 0; second < 6; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await tenant.GetStats(); // queued behind the timer turn that fell due
        }

        Assert.Equal(("api", 80), (kept.Quota, kept.ThresholdPercent));
        Assert.Equal(1, writes);
        Assert.Equal([kept], await tenant.GetAlerts(0));
    }

    /// <summary>
    /// The descendants of a deleted tenant carry on, and tenants can be created under them: the walk up the chain ends
    /// at the deleted ancestor. It refused every such creation with "parent 'x' of 'd' does not exist", naming the
    /// deleted ancestor as the parent. A deleted ancestor created again under its descendants is still a cycle.
    /// </summary>
    [Fact]
    public async Task A_tenant_can_be_created_under_a_descendant_of_a_deleted_tenant_and_the_ancestor_not_again_below_it()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var top = await Tenants.CreateAsync(cluster.GrainFactory, "top", workers: 10);
        await Tenants.CreateAsync(cluster.GrainFactory, "middle", workers: 10, parent: "top");
        await Tenants.CreateAsync(cluster.GrainFactory, "bottom", workers: 10, parent: "middle");
        await top.Suspend();
        await top.Delete(force: false);

        var below = await Tenants.CreateAsync(cluster.GrainFactory, "below", workers: 1, parent: "bottom");
        var cycle = await Assert.ThrowsAsync<QuotaValidationException>(() => Tenants.CreateAsync(cluster.GrainFactory, "top", workers: 1, parent: "below"));

        Assert.Equal("bottom", (await below.GetConfig()).ParentId?.Value);
        Assert.Equal(ValidationCodes.HierarchyCycle, cycle.Code);
    }

    [Fact]
    public async Task Alerts_are_stored_within_a_second_outlive_the_activation_and_new_ones_number_above_those_seen()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var tenant = await RateLimitedTenantAsync(cluster, "alerted");
        var writes = 0;
        faults.AfterWrite = key =>
        {
            if (key.ToString().Contains("alerted", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref writes);
            }
        };
        await HitAllowedAsync(tenant, 8);

        // A rate hit writes nothing: the tenant's next second stores the alert it raised, and later seconds write nothing.
        var seen = Assert.Single(await tenant.GetAlerts(0));
        time.Advance(TimeSpan.FromSeconds(1));
        await tenant.GetStats(); // queued behind the timer turn that fell due
        Assert.Equal(1, writes);
        for (var second = 0; second < 5; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await tenant.GetStats();
        }

        Assert.Equal(1, writes);

        // Deactivated (as a move to another silo would) and activated again: the alert is still there, and the rate
        // window counts on from its 8 hits without reporting 80 % again.
        await cluster.PrimarySilo.Silo.DeactivateAsync(GrainId.Create(TenantGrain.GrainTypeName, "alerted"));
        Assert.Equal([seen], await tenant.GetAlerts(0));
        Assert.Equal(9, (await tenant.HitRate("api", 1)).Decision.Current);
        Assert.Equal([seen], await tenant.GetAlerts(0));

        // Crossing 95 % in the new activation alerts, numbered above what a poller saw.
        await HitAllowedAsync(tenant, 1);
        var resumed = Assert.Single(await tenant.GetAlerts(seen.Sequence));
        Assert.Equal(95, resumed.ThresholdPercent);
        Assert.True(resumed.Sequence > seen.Sequence);
    }

    /// <summary>
    /// A stored tenant that reads as JSON but that this release cannot restore (here, a snapshot version it does not
    /// know) fails as unreadable stored state, naming the tenant and its row, not as a mistake of the caller's.
    /// </summary>
    [Fact]
    public async Task A_stored_tenant_that_cannot_be_restored_fails_as_unreadable_state_and_names_its_row()
    {
        var storage = TestStorage.Sqlite();
        await using var cluster = await QuotaClusters.StartAsync(storage, time: new ManualTimeProvider());
        var tenant = await StoredAndEditedAsync(cluster, storage, "\"version\":1", "\"version\":99");

        var failed = await Assert.ThrowsAsync<global::Grains.Storage.GrainStateSerializationException>(() => tenant.GetStats());

        Assert.Contains("tenant 'restored'", failed.Message, StringComparison.Ordinal);
        Assert.Contains("version 99", failed.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A stored value that a type's own check refuses while the row is read (here a tenant id that is not lowercase,
    /// which its JSON converter refuses) fails as unreadable stored state too, not as the caller's invalid_tenant_id.
    /// </summary>
    [Fact]
    public async Task A_stored_value_its_type_refuses_while_the_row_is_read_fails_as_unreadable_state()
    {
        var storage = TestStorage.Sqlite();
        await using var cluster = await QuotaClusters.StartAsync(storage, time: new ManualTimeProvider());
        var tenant = await StoredAndEditedAsync(cluster, storage, "\"restored\"", "\"Restored\"");

        var failed = await Assert.ThrowsAsync<global::Grains.Storage.GrainStateSerializationException>(() => tenant.GetStats());

        Assert.Contains("grain_key 'restored'", failed.Message, StringComparison.Ordinal);
    }

    /// <summary>Tenant 'restored', stored, out of memory, and its stored row edited: <paramref name="from"/> replaced by <paramref name="to"/>.</summary>
    private static async Task<Contracts.ITenantGrain> StoredAndEditedAsync(TestCluster cluster, TestStorage storage, string from, string to)
    {
        var tenant = cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("restored");
        await tenant.Create(TenantConfig.Create("restored", Tier.Basic));
        Assert.True(await cluster.PrimarySilo.Silo.CollectIdleActivationsAsync(TimeSpan.Zero) >= 1);
        Assert.Equal(1, await storage.ExecuteAsync(
            $"UPDATE grains_storage SET payload = replace(payload, '{from}', '{to}') WHERE grain_type = 'tenant' AND grain_key = 'restored'"));
        return tenant;
    }

    /// <summary>
    /// A budget reports a crossing in the record that makes it: the tenant collected while idle and activated again,
    /// still above 80 %, does not report it a second time, and reports 95 % when that is crossed.
    /// </summary>
    [Fact]
    public async Task A_tenant_activated_again_does_not_report_a_budgets_crossing_a_second_time()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var tenant = cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("billed");
        await tenant.Create(TenantConfig.Create("billed", Tier.Basic, QuotaDefinition.Budget("cost", QuotaLimit.Hard(100), BudgetPeriod.Month)));
        await tenant.RecordUsage("e1", "cost", 85);
        var crossed = Assert.Single(await tenant.GetAlerts(0));

        time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await cluster.PrimarySilo.Silo.CollectIdleActivationsAsync(TimeSpan.FromSeconds(10)) >= 1);
        await tenant.RecordUsage("e2", "cost", 5);
        Assert.Equal([crossed], await tenant.GetAlerts(0));

        await tenant.RecordUsage("e3", "cost", 5);
        Assert.Equal([80, 95], (await tenant.GetAlerts(0)).Select(a => a.ThresholdPercent));
    }

    [Fact]
    public async Task A_failed_write_of_new_alerts_keeps_the_rate_windows_and_is_tried_again_at_the_next_second()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, time);
        var tenant = await RateLimitedTenantAsync(cluster, "alerted");
        await HitAllowedAsync(tenant, 8);

        var seen = Assert.Single(await tenant.GetAlerts(0));
        faults.FailWritesOf = TenantGrain.GrainTypeName;
        time.Advance(TimeSpan.FromSeconds(1));
        await tenant.GetStats(); // queued behind the timer turn, whose write failed

        // The window still holds its 8 hits: 2 more fit, the 11th is refused.
        Assert.True((await tenant.HitRate("api", 2)).Decision.Allowed);
        Assert.False((await tenant.HitRate("api", 1)).Decision.Allowed);

        faults.FailWritesOf = null;
        time.Advance(TimeSpan.FromSeconds(1));
        await tenant.GetStats();
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await cluster.PrimarySilo.Silo.CollectIdleActivationsAsync(TimeSpan.FromSeconds(10)) >= 1);
        Assert.Equal([80, 95], (await tenant.GetAlerts(0)).Select(a => a.ThresholdPercent));
        Assert.Equal(seen, (await tenant.GetAlerts(0))[0]);
    }

    [Fact]
    public async Task A_child_that_its_reactivated_parent_does_not_know_takes_the_parents_change_at_its_next_refresh()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var hour = TimeSpan.FromHours(1);
        var parent = cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("group");
        await parent.Create(TenantConfig.Create("group", Tier.Basic, QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(5), hour)));
        var child = await Tenants.CreateAsync(cluster.GrainFactory, "group-unit", workers: 1, parent: "group");

        // The parent alone is deactivated (as a move to another silo would): its new activation has no list of children.
        Assert.True((await child.HitRate("api", 1)).Decision.Allowed);
        time.Advance(TimeSpan.FromSeconds(20));
        await child.GetStats();
        await cluster.PrimarySilo.Silo.DeactivateAsync(GrainId.Create(TenantGrain.GrainTypeName, "group"));
        await parent.UpdateQuotas([QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(1), hour)]);
        Assert.Equal(5, (await child.GetEffectiveQuotas()).Single(q => q.Name == "api").Limit.Limit);

        // 30 s after the child's last read its refresh runs (a turn of its own, before the next call).
        time.Advance(TenantGrain.ParentRefreshInterval - TimeSpan.FromSeconds(20));
        var refused = (await child.HitRate("api", 1)).Decision;

        Assert.Equal(1, (await child.GetEffectiveQuotas()).Single(q => q.Name == "api").Limit.Limit);
        Assert.False(refused.Allowed);
        Assert.Equal(1, refused.Current);
    }

    [Fact]
    public async Task Changing_a_tenants_quotas_keeps_what_its_rate_windows_counted_and_its_alerts()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var tenant = cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>("edited");
        var hour = TimeSpan.FromHours(1);
        var calls = QuotaDefinition.TokenBucket("calls", 10, hour, 10);
        await tenant.Create(TenantConfig.Create("edited", Tier.Basic, QuotaDefinition.SlidingWindow("requests", QuotaLimit.Hard(5), hour), calls));
        for (var i = 0; i < 4; i++)
        {
            Assert.True((await tenant.HitRate("requests", 1)).Decision.Allowed);
        }

        for (var i = 0; i < 6; i++)
        {
            Assert.True((await tenant.HitRate("calls", 1)).Decision.Allowed);
        }

        var alerts = await tenant.GetAlerts(0);
        Assert.NotEmpty(alerts);

        // A lower limit applies to what the window already counted: 4 of 4 are used, so the next hit is refused.
        await tenant.UpdateQuotas([QuotaDefinition.SlidingWindow("requests", QuotaLimit.Hard(4), hour), calls]);
        var refused = (await tenant.HitRate("requests", 1)).Decision;
        Assert.False(refused.Allowed);
        Assert.Equal(4, refused.Current);
        Assert.Equal(3, (await tenant.HitRate("calls", 1)).Decision.Remaining);
        Assert.Equal(alerts.Select(a => a.Sequence), (await tenant.GetAlerts(0)).Take(alerts.Count).Select(a => a.Sequence));

        // Another window length is another window: it starts empty.
        await tenant.UpdateQuotas([QuotaDefinition.SlidingWindow("requests", QuotaLimit.Hard(4), 2 * hour), calls]);
        var fresh = (await tenant.HitRate("requests", 1)).Decision;
        Assert.True(fresh.Allowed);
        Assert.Equal(1, fresh.Current);
    }

    /// <summary>A tenant whose own quota "api" allows 10 hits an hour: its 8th hit crosses 80 % and alerts.</summary>
    private static async Task<Contracts.ITenantGrain> RateLimitedTenantAsync(TestCluster cluster, string id)
    {
        var tenant = cluster.GrainFactory.GetGrain<Contracts.ITenantGrain>(id);
        await tenant.Create(TenantConfig.Create(id, Tier.Basic, QuotaDefinition.SlidingWindow("api", QuotaLimit.Hard(10), TimeSpan.FromHours(1))));
        return tenant;
    }

    private static async Task HitAllowedAsync(Contracts.ITenantGrain tenant, int hits)
    {
        for (var i = 0; i < hits; i++)
        {
            Assert.True((await tenant.HitRate("api", 1)).Decision.Allowed);
        }
    }

    private static async Task<ITenantGrain> GpusAsync(IGrainFactory grains, string id, string? parent)
    {
        var grain = grains.GetGrain<ITenantGrain>(id);
        var config = TenantConfig.Create(id, Tier.Basic, QuotaDefinition.Gauge("gpus", QuotaLimit.Hard(10)));
        await grain.Create(parent is null ? config : config with { ParentId = TenantId.Parse(parent) });
        return grain;
    }
}
