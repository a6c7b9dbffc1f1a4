using Microsoft.Extensions.Logging;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tenants;

/// <summary>What deleting a tenant asks of the pools: forget its jobs there, and hand back the usage they still owed.</summary>
public sealed partial class TenantGrain
{
    /// <summary>Has every pool forget this tenant's jobs, so that a tenant created again under its id starts afresh there.</summary>
    private async Task RemoveFromPoolsAsync()
    {
        var pools = GrainFactory.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.PoolsKey);
        var tenant = new Core.Scheduling.TenantId(Id);
        string? after = null;
        while (true)
        {
            var page = await pools.List(after, 100);
            foreach (var pool in page)
            {
                // A pool being deleted answers pool_being_deleted: this delete fails, to be retried once that one has
                // ended (it may fail, and keep the tenant's jobs).
                var scheduler = GrainFactory.GetGrain<IFairShareSchedulerGrain>(pool);
                var owed = await scheduler.RemoveTenant(tenant);
                await ChargeAsync(pool, owed);
                await ChargedAsync(scheduler, tenant, owed);
            }

            if (page.Count < 100)
            {
                return;
            }

            after = page[^1];
        }
    }

    /// <summary>
    /// Charges this tenant the usage a pool still owed for its completed jobs (the pool hands it over rather than call
    /// a tenant that is deleting), under the pool's own event ids: a charge the pool made already counts nothing.
    /// </summary>
    private async Task ChargeAsync(string poolId, IReadOnlyList<Core.Scheduling.JobInfo> owed)
    {
        if (owed.Count == 0)
        {
            return;
        }

        var tenant = Tenant();
        var budgets = tenant.Effective.Where(q => q.Kind == QuotaKind.Budget).Select(q => q.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var job in owed)
        {
            foreach (var (eventId, quota, amount) in Scheduling.JobCharges.Of(poolId, job, budgets))
            {
                try
                {
                    var now = time.GetUtcNow();
                    QuotaMetrics.Recorded(tenant.RecordUsage(eventId, quota, amount, now, Scheduling.JobCharges.DatedAt(job, now)));
                }
                catch (QuotaValidationException e)
                {
                    // An amount the budget cannot count, as the pool would have met it: not charged, as there.
                    LogChargeRefused(logger, e, Id, poolId, job.Id.Value);
                }
            }
        }

        await CommitAsync(tenant);
    }

    /// <summary>
    /// Tells the pool that the usage it handed over is stored here, so it stops owing it; until then it hands the
    /// usage over again at each try of the delete. A failure fails the delete, to be tried again: a pool still owing
    /// would otherwise charge its sweep's way, possibly to a tenant created again under this id.
    /// </summary>
    private static async Task ChargedAsync(IFairShareSchedulerGrain pool, Core.Scheduling.TenantId tenant, IReadOnlyList<Core.Scheduling.JobInfo> owed)
    {
        if (owed.Count == 0)
        {
            return;
        }

        try
        {
            await pool.TenantChargedItself(tenant, [.. owed.Select(job => job.Id)]);
        }
        catch (NotSupportedException)
        {
            // A pool on a silo of an earlier release forgot the usage as it handed it over.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Tenant {Tenant} refused the usage of job {Job} that pool {Pool} handed over on the tenant's delete; it is not counted")]
    private static partial void LogChargeRefused(ILogger logger, Exception exception, string tenant, string pool, long job);
}
