using Quotas.Core.Scheduling;
using Quotas.Grains.Scheduling;

namespace Quotas.Grains.Tests.Scheduling;

/// <summary>When a paid debt may be told to its tenant as settled: once its removal is stored and no payment is in flight.</summary>
public sealed class OwedUsageTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static JobInfo Job(long id) => new(
        new JobId(id), new TenantId("alpha"), ResourceVector.Of(("cpu_millicores", 100)), 0, $"k{id}", null, JobState.Succeeded, s_t0, s_t0, 1);

    /// <summary>A debt owed and stored, as after a completion's write.</summary>
    private static (OwedUsage Owed, JobInfo Job) StoredDebt()
    {
        var owed = new OwedUsage();
        var job = Job(7);
        owed.Owe(job);
        owed.Stored([.. owed.TakeChanges().Select(change => change.Job)]);
        return (owed, job);
    }

    private static void StoreChanges(OwedUsage owed) => owed.Stored([.. owed.TakeChanges().Select(change => change.Job)]);

    [Fact]
    public void A_paid_debt_is_settled_once_its_removal_is_stored_and_not_before()
    {
        var (owed, job) = StoredDebt();
        owed.Paying(job.Id);
        owed.DonePaying(job.Id);
        owed.Paid(job);

        Assert.Empty(owed.TakeSettled());
        StoreChanges(owed);
        Assert.Equal([job], owed.TakeSettled());
        Assert.Empty(owed.TakeSettled());
    }

    [Fact]
    public void A_debt_paid_and_stored_while_another_payment_of_it_is_in_flight_is_settled_when_that_one_ends()
    {
        var (owed, job) = StoredDebt();

        // A retried report starts paying; the sweep pays the same debt meanwhile, and its write is stored.
        owed.Paying(job.Id);
        owed.Paying(job.Id);
        owed.DonePaying(job.Id);
        owed.Paid(job);
        StoreChanges(owed);
        Assert.Empty(owed.TakeSettled());

        owed.DonePaying(job.Id);
        Assert.Equal([job], owed.TakeSettled());
    }

    [Fact]
    public void A_paid_debt_whose_write_failed_is_owed_again_and_never_settled_from_the_failed_write()
    {
        var (owed, job) = StoredDebt();
        owed.Paid(job);
        var failedWrite = owed.TakeChanges();
        owed.Restore(new Dictionary<long, JobInfo> { [job.Id.Value] = job });

        Assert.Single(failedWrite);
        Assert.True(owed.TryGetStored(job.Id, out _));
        Assert.Empty(owed.TakeSettled());
    }

    [Fact]
    public void Settled_debts_not_yet_told_are_bounded_oldest_first()
    {
        var owed = new OwedUsage();
        owed.ReturnSettled(Enumerable.Range(1, 9000).Select(i => Job(i)));

        var settled = owed.TakeSettled();
        Assert.Equal(8192, settled.Count);
        Assert.Equal(9000 - 8192 + 1, settled[0].Id.Value);
    }
}
