using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tests.Scheduling;

public sealed class SuspendedSubmitTests
{
    [Fact]
    public async Task A_suspended_tenants_new_submission_is_refused_within_seconds_while_a_retry_of_an_earlier_one_answers_that_job()
    {
        var time = new ManualTimeProvider();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var alpha = cluster.GrainFactory.GetGrain<ITenantGrain>("alpha");
        await alpha.Create(TenantConfig.Create("alpha", Tier.Basic));
        var pool = cluster.GrainFactory.GetGrain<IFairShareSchedulerGrain>("suspended");
        await pool.Configure(Pools.Small("suspended"));
        var earlier = (await pool.Submit(Pools.Job(Pools.Alpha, "earlier"))).Job;

        await alpha.Suspend();
        time.Advance(TimeSpan.FromSeconds(5));

        var refused = await Assert.ThrowsAsync<SchedulingException>(() => pool.Submit(Pools.Job(Pools.Alpha, "later")));
        Assert.Equal(SchedulingErrorCodes.TenantSuspended, refused.Code);
        var retried = await pool.Submit(Pools.Job(Pools.Alpha, "earlier"));
        Assert.False(retried.Created);
        Assert.Equal(earlier.Id, retried.Job.Id);
        Assert.Equal(1, (await pool.GetTenantUsage(Pools.Alpha)).QueuedJobs);

        await alpha.Activate();
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await pool.Submit(Pools.Job(Pools.Alpha, "later"))).Created);
    }
}
