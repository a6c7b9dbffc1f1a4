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
        var (snapshot, _) = PoolRecords.Read(stored);
        Assert.Equal(2, snapshot!.NextJobId);
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
