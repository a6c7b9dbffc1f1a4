using Quotas.Core.Scheduling;
using static Quotas.Core.Tests.Scheduling.SchedulingKit;

namespace Quotas.Core.Tests.Scheduling;

/// <summary>
/// A stored pool whose jobs no pool could have written (changed outside the service) is refused with the job and what
/// is wrong with it, rather than restored into a pool that would hold capacity for ever or lose a job.
/// </summary>
public sealed class SnapshotValidationTests
{
    public static TheoryData<string, string> Damages => new()
    {
        { "no worker", "it is running but names no worker" },
        { "no lease end", "it is running but its lease has no end" },
        { "same id", "another stored job has the same id" },
        { "same key", "it has the idempotency key of job 1 of the same tenant" },
        { "unknown state", "its state 99 is unknown" },
        { "id zero", "its id is not positive" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_stored_job_no_pool_could_have_written_is_refused_naming_it(string damage, string reason)
    {
        var s = new FairShareScheduler(WorkerPool(10));
        s.Submit("a", Workers(1));
        s.Submit("a", Workers(1));
        Assert.Single(s.Lease(Workers(1)));
        var stored = s.ToSnapshot();
        var running = stored.Jobs.Single(j => j.State == JobState.Leased);
        var queued = stored.Jobs.Single(j => j.State == JobState.Queued);
        JobInfo[] jobs = damage switch
        {
            "no worker" => [running with { WorkerId = null }, queued],
            "no lease end" => [running with { LeaseExpiresAt = null }, queued],
            "same id" => [running, queued with { Id = running.Id }],
            "same key" => [running, queued with { IdempotencyKey = running.IdempotencyKey }],
            "unknown state" => [running, queued with { State = (JobState)99 }],
            _ => [running, queued with { Id = new JobId(0) }],
        };

        var e = Assert.Throws<SchedulingException>(() => FairShareScheduler.FromSnapshot(stored with { Jobs = jobs }));

        Assert.Contains($"cannot be restored: {reason}.", e.Message, StringComparison.Ordinal);
        Assert.Contains("Stored job", e.Message, StringComparison.Ordinal);
        Assert.Contains("repair or remove the job's entry", e.Message, StringComparison.Ordinal);
    }
}
