using Quotas.Core.Scheduling;
using Quotas.Grains.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class PoolRecordsTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_sequence_entry_is_written_when_a_submission_moves_it_and_not_for_a_lease_or_a_completion()
    {
        var scheduler = new FairShareScheduler(Pools.Small("sequence"), trackChanges: true);
        var stored = new Dictionary<string, PoolRecord>();

        Assert.Contains("sequence", Store(scheduler.TakeChanges(), stored));
        scheduler.Submit(Pools.Job(Pools.Alpha, "first"), s_now);
        Assert.Contains("sequence", Store(scheduler.TakeChanges(), stored));

        var lease = Assert.Single(scheduler.LeaseJobs("w1", ResourceVector.Of(("cpu_millicores", 1000), ("memory_mb", 512)), TimeSpan.FromMinutes(1), s_now));
        var leased = Store(scheduler.TakeChanges(), stored);
        Assert.Contains("job/1", leased);
        Assert.DoesNotContain("sequence", leased);

        scheduler.Complete(lease.JobId, success: true, null, s_now);
        Assert.DoesNotContain("sequence", Store(scheduler.TakeChanges(), stored));

        // What a new activation reads back still numbers the next job after every job ever submitted.
        var snapshot = PoolRecords.Read(stored).Snapshot;
        Assert.Equal(2, snapshot!.NextJobId);
    }

    [Fact]
    public void A_rebuilt_pool_writes_its_configuration_and_the_entries_that_differ_not_every_job_again()
    {
        var scheduler = new FairShareScheduler(Pools.Small("rebuilt"));
        for (var i = 0; i < 5; i++)
        {
            scheduler.Submit(Pools.Job(Pools.Alpha, $"job-{i}"), s_now);
        }

        var noLeases = new Dictionary<long, List<string>>();
        var unreleased = new Dictionary<long, UnreleasedLeases> { [7] = new(Pools.Alpha, ["alpha:1", "alpha:2"]) };
        var waits = new Dictionary<string, BudgetWait> { ["alpha"] = new(s_now.AddHours(12), s_now.AddSeconds(30), 1, "jobs", 1) };
        var stored = PoolRecords.All(scheduler.ToSnapshot(), noLeases, unreleased, new Dictionary<long, JobInfo>(), waits);
        stored["job/999"] = new PoolRecord { Job = stored["job/1"].Job! with { Id = new JobId(999) } };

        // As Configure does: rebuilt with new weights, then one job changes (leased).
        var reweighted = Pools.Small("rebuilt") with { Tenants = [new TenantShare(Pools.Alpha, 3), new TenantShare(Pools.Beta)] };
        var rebuilt = FairShareScheduler.FromSnapshot(scheduler.ToSnapshot() with { Pool = reweighted });
        var lease = Assert.Single(rebuilt.LeaseJobs("w1", ResourceVector.Of(("cpu_millicores", 1000), ("memory_mb", 512)), TimeSpan.FromMinutes(1), s_now, 1));

        var written = new List<KeyValuePair<string, PoolRecord?>>();
        PoolRecords.AddDifferences(written, PoolRecords.All(rebuilt.ToSnapshot(), noLeases, unreleased, new Dictionary<long, JobInfo>(), waits), stored);

        var keys = written.ConvertAll(e => e.Key);
        Assert.Contains("config", keys);
        Assert.DoesNotContain("wait/alpha", keys);
        Assert.Equal(waits, PoolRecords.Read(stored).BudgetWaits);
        Assert.DoesNotContain("unreleased/7", keys);
        var left = Assert.Single(PoolRecords.Read(stored).Unreleased);
        Assert.Equal((7L, Pools.Alpha), (left.Key, left.Value.Tenant));
        Assert.Equal(["alpha:1", "alpha:2"], left.Value.LeaseIds);
        Assert.DoesNotContain("sequence", keys);
        Assert.Equal([$"job/{lease.JobId.Value}", "job/999"], keys.Where(k => k.StartsWith("job/", StringComparison.Ordinal)).Order());
        Assert.Null(written.Single(e => e.Key == "job/999").Value);
        Assert.Equal(3, written.Single(e => e.Key == "config").Value!.Config!.Tenants[0].Weight);
    }

    [Fact]
    public void A_mark_no_worker_was_told_of_is_read_back_as_such_and_can_still_be_taken_back()
    {
        var config = Pools.Small("marks") with { Tenants = [new TenantShare(Pools.Alpha), new TenantShare(Pools.Beta, 1, ResourceVector.Of(("cpu_millicores", 2000)))] };
        var scheduler = new FairShareScheduler(config, trackChanges: true);
        for (var i = 0; i < 4; i++)
        {
            scheduler.Submit(Pools.Job(Pools.Alpha, $"a-{i}"), s_now);
        }

        var leases = scheduler.LeaseJobs("w1", ResourceVector.Of(("cpu_millicores", 4000), ("memory_mb", 8192)), TimeSpan.FromMinutes(1), s_now);
        var waiting = scheduler.Submit(Pools.Job(Pools.Beta, "b-0"), s_now).Job;
        scheduler.LeaseJobs("w2", ResourceVector.Of(("cpu_millicores", 0), ("memory_mb", 0)), TimeSpan.FromMinutes(1), s_now); // reclaim marks one of alpha's
        var stored = new Dictionary<string, PoolRecord>();
        Store(scheduler.TakeChanges(), stored);

        var restored = FairShareScheduler.FromSnapshot(PoolRecords.Read(stored).Snapshot!, trackChanges: true);
        Assert.Single(PoolRecords.Read(stored).Snapshot!.UndeliveredPreemptions);

        // The reason goes before any worker heard of the mark: the restored pool takes it back and preempts nothing.
        restored.Cancel(waiting.Id, s_now);
        Assert.Empty(restored.Heartbeat("w1", leases.Select(l => l.JobId), TimeSpan.FromMinutes(1), s_now).Preempt);
    }

    /// <summary>Applies the change set as a successful write would and returns the keys it wrote.</summary>
    private static List<string> Store(SchedulerChanges changes, Dictionary<string, PoolRecord> stored)
    {
        var entries = new List<KeyValuePair<string, PoolRecord?>>();
        PoolRecords.AddChanges(entries, changes, stored);
        foreach (var (key, record) in entries)
        {
            if (record is null)
            {
                stored.Remove(key);
            }
            else
            {
                stored[key] = record;
            }
        }

        return entries.ConvertAll(e => e.Key);
    }
}
