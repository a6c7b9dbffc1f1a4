using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tests.Scheduling;

internal static class PoolSweeps
{
    /// <summary>
    /// Lets the pool's sweep (every second) run until the tenant's figures are <paramref name="settled"/>, at most
    /// <paramref name="seconds"/> seconds of the test's clock: time goes on a second at a time, and a call queued behind
    /// each tick sees its effect. The pool is reentrant, so a call may see a tick half done: the condition names the
    /// whole outcome. A sweep that makes many calls may still run while the clock moves on; its next tick is armed from
    /// when it ends, so such a test gives more seconds. Returns the last figures.
    /// </summary>
    public static async Task<TenantStats> UntilAsync(ManualTimeProvider time, IFairShareSchedulerGrain pool, ITenantGrain tenant, Func<TenantStats, bool> settled, int seconds = 30)
    {
        var stats = await tenant.GetStats();
        for (var tick = 0; tick < seconds && !settled(stats); tick++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await pool.GetQueuedJobs();
            stats = await tenant.GetStats();
        }

        return stats;
    }
}
