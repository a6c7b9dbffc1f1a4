using System.Text.Json;
using System.Text.Json.Nodes;
using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

public sealed class SnapshotTests
{
    [Fact]
    public void Json_round_trip_resumes_with_the_same_state_and_decisions()
    {
        var s = new FairShareScheduler(WorkerPool(10, Guarantee("a", 5), Guarantee("b", 5, weight: 2)) with { HistoryBlend = 0.5 });
        for (var i = 0; i < 10; i++)
        {
            s.Submit("a", Workers(1), priority: i % 3);
        }

        var leases = s.Lease(Workers(10));
        s.Complete(leases[0].JobId, true, Workers(1), T0.AddSeconds(30));
        s.Submit("b", Workers(2), now: T0.AddSeconds(31));
        s.Submit("c", Workers(1), now: T0.AddSeconds(31));
        s.Heartbeat("w1", leases.Select(l => l.JobId), Ttl, T0.AddSeconds(31));

        var json = JsonSerializer.Serialize(s.ToSnapshot());
        var restored = FairShareScheduler.FromSnapshot(JsonSerializer.Deserialize<SchedulerSnapshot>(json)!);

        Assert.Equal(json, JsonSerializer.Serialize(restored.ToSnapshot()));
        var now = T0.AddSeconds(40);
        var before = s.Heartbeat("w1", leases.Select(l => l.JobId), Ttl, now);
        var after = restored.Heartbeat("w1", leases.Select(l => l.JobId), Ttl, now);
        Assert.NotEmpty(before.Preempt);

        // The same jobs to stop and none lost; the restored pool extends the marked jobs' leases once more (the grace
        // to stop them in is kept in memory only), where the original gave it at the heartbeat that told the worker.
        Assert.Equal(before with { Renewed = [.. before.Renewed.Union(before.Preempt).OrderBy(id => id.Value)] }, after with { Renewed = [.. after.Renewed.OrderBy(id => id.Value)] }, HeartbeatComparer.Instance);
        foreach (var id in s.Heartbeat("w1", leases.Select(l => l.JobId), Ttl, now).Preempt)
        {
            s.Complete(id, JobOutcome.Preempted, null, now);
            restored.Complete(id, JobOutcome.Preempted, null, now);
        }

        Assert.Equal(s.Lease(Workers(10), now), restored.Lease(Workers(10), now));
        Assert.Equal(s.Json(), restored.Json());
    }

    [Fact]
    public void Leases_lost_by_expiry_count_across_a_restart()
    {
        var s = new FairShareScheduler(WorkerPool(1) with { MaxAttempts = 2 });
        var job = s.Submit("t", Workers(1));
        s.Lease(Workers(1));
        s.ExpireLeases(T0 + Ttl);

        var restored = FairShareScheduler.FromSnapshot(JsonSerializer.Deserialize<SchedulerSnapshot>(s.Json())!);
        restored.Lease(Workers(1), T0 + Ttl);
        restored.ExpireLeases(T0 + Ttl + Ttl);

        Assert.Equal(JobState.Expired, restored.Get(job.Id)!.State);
    }

    [Fact]
    public void A_job_stored_before_expiries_were_counted_reads_as_having_lost_none()
    {
        var s = new FairShareScheduler(WorkerPool(1) with { MaxAttempts = 2 });
        var job = s.Submit("t", Workers(1));
        s.Lease(Workers(1));
        var stored = JsonNode.Parse(s.Json())!;
        var storedJob = stored["Jobs"]![0]!.AsObject();
        Assert.True(storedJob.Remove("Expiries"));

        var restored = FairShareScheduler.FromSnapshot(stored.Deserialize<SchedulerSnapshot>()!);
        restored.ExpireLeases(T0 + Ttl);

        var info = restored.Get(job.Id)!;
        Assert.Equal(JobState.Queued, info.State);
        Assert.Equal(1, info.Attempts);
        Assert.Equal(1, info.Expiries);
    }

    [Fact]
    public void A_pool_stored_before_listed_tenants_only_existed_reads_as_admitting_any_tenant()
    {
        var s = new FairShareScheduler(WorkerPool(1, new TenantShare(Id("acme"))));
        var stored = JsonNode.Parse(s.Json())!;
        Assert.True(stored["Pool"]!.AsObject().Remove("ListedTenantsOnly"));

        var restored = FairShareScheduler.FromSnapshot(stored.Deserialize<SchedulerSnapshot>()!);

        Assert.False(restored.Config.ListedTenantsOnly);
        Assert.True(restored.Submit(new SubmitJobRequest(Id("stranger"), Workers(1), 0, "k-1"), T0).Created);
    }

    [Fact]
    public void Listed_tenants_only_survives_a_json_round_trip()
    {
        var s = new FairShareScheduler(WorkerPool(1, new TenantShare(Id("acme"))) with { ListedTenantsOnly = true });

        var restored = FairShareScheduler.FromSnapshot(JsonSerializer.Deserialize<SchedulerSnapshot>(s.Json())!);

        Assert.True(restored.Config.ListedTenantsOnly);
        var e = Assert.Throws<SchedulingException>(() => restored.Submit(new SubmitJobRequest(Id("stranger"), Workers(1), 0, "k-1"), T0));
        Assert.Equal(SchedulingErrorCodes.TenantNotInPool, e.Code);
    }

    [Fact]
    public void A_mark_no_worker_was_told_of_can_still_be_taken_back_after_a_restart()
    {
        var (s, leases) = FullPoolShrunkBeforeAnyHeartbeat();
        var snapshot = JsonSerializer.Deserialize<SchedulerSnapshot>(s.Json())!;
        Assert.Equal(2, snapshot.UndeliveredPreemptions.Count);

        // Rebuilt with the capacity back, as a pool is when its configuration changes.
        var restored = FairShareScheduler.FromSnapshot(snapshot with { Pool = snapshot.Pool with { Capacity = Workers(4) } });

        Assert.Empty(restored.Heartbeat("w1", leases.Select(l => l.JobId), Ttl, T0).Preempt);
        Assert.Empty(restored.ToSnapshot().UndeliveredPreemptions);
    }

    [Fact]
    public void A_mark_whose_delivery_is_unknown_counts_as_delivered_and_stays()
    {
        var (s, leases) = FullPoolShrunkBeforeAnyHeartbeat();
        var stored = JsonNode.Parse(s.Json())!;
        Assert.True(stored.AsObject().Remove("UndeliveredPreemptions"));
        var snapshot = stored.Deserialize<SchedulerSnapshot>()!;

        var restored = FairShareScheduler.FromSnapshot(snapshot with { Pool = snapshot.Pool with { Capacity = Workers(4) } });

        Assert.Equal(2, restored.Heartbeat("w1", leases.Select(l => l.JobId), Ttl, T0).Preempt.Count);
    }

    [Fact]
    public void A_delivered_mark_is_not_listed_as_undelivered()
    {
        var (s, leases) = FullPoolShrunkBeforeAnyHeartbeat();
        Assert.Equal(2, s.Heartbeat("w1", leases.Select(l => l.JobId), Ttl, T0).Preempt.Count);

        Assert.Empty(s.ToSnapshot().UndeliveredPreemptions);
    }

    /// <summary>A fills a pool of 4 that then shrinks to 2: two of its jobs are marked, no worker told yet.</summary>
    private static (FairShareScheduler S, IReadOnlyList<JobLease> Leases) FullPoolShrunkBeforeAnyHeartbeat()
    {
        var s = new FairShareScheduler(WorkerPool(4));
        for (var i = 0; i < 4; i++)
        {
            s.Submit("a", Workers(1));
        }

        var leases = s.Lease(Workers(4));
        s.UpdateCapacity(Workers(2), T0);
        return (s, leases);
    }

    private sealed class HeartbeatComparer : IEqualityComparer<HeartbeatResult>
    {
        public static readonly HeartbeatComparer Instance = new();

        public bool Equals(HeartbeatResult? x, HeartbeatResult? y) =>
            x!.Renewed.SequenceEqual(y!.Renewed) && x.Preempt.SequenceEqual(y.Preempt) && x.Lost.SequenceEqual(y.Lost);

        public int GetHashCode(HeartbeatResult obj) => obj.Renewed.Count;
    }

    /// <summary>
    /// Among equal shares the tenant served longest ago goes first, after a snapshot as before it: x was just served
    /// and y never, so y's job goes first. The order of service was not kept, and ties went by the order the tenants were
    /// read back in, x first.
    /// </summary>
    [Fact]
    public void The_tenant_served_longest_ago_goes_first_among_equal_shares_after_a_snapshot()
    {
        var s = new FairShareScheduler(WorkerPool(1, new TenantShare(Id("x")), new TenantShare(Id("y"))));
        var x1 = s.Submit("x", Workers(1), now: T0);
        s.Submit("y", Workers(1), now: T0);
        Assert.Equal(Id("x"), Assert.Single(s.Lease(Workers(1), T0)).Tenant);
        s.Complete(x1.Id, true, null, T0.AddSeconds(10));
        s.Submit("x", Workers(1), now: T0.AddSeconds(10));

        var restored = FairShareScheduler.FromSnapshot(s.ToSnapshot());

        Assert.Equal(Id("y"), Assert.Single(s.Lease(Workers(1), T0.AddSeconds(10))).Tenant);
        Assert.Equal(Id("y"), Assert.Single(restored.Lease(Workers(1), T0.AddSeconds(10))).Tenant);
    }
}
