using Quotas.Contracts;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Scheduling;

/// <summary>Charging finished jobs to their tenants' budgets (see <see cref="JobCharges"/>).</summary>
internal sealed partial class TenantAdmission
{
    /// <summary>
    /// False when the tenant's quota names, as last read, give a finished job nothing to charge (no budgets, or no
    /// tenant); true when they do or are not known. Answered from memory, inside the pool's synchronous step.
    /// </summary>
    public bool MayCharge(Core.Scheduling.TenantId tenant) =>
        !_names.TryGet(tenant.Value, out var names) || names is { Budgets.Count: > 0 };

    /// <summary>
    /// Records a finished job's actual usage once (event ids name the pool and job) in the tenant's budgets; recording
    /// it again changes nothing. A tenant that no longer exists is charged nothing. A charge the tenant refuses for good
    /// (an amount its budget cannot add) is dropped alone: the others are still recorded, and the first refusal is
    /// thrown after them, for the caller to log.
    /// </summary>
    public async Task RecordUsageAsync(JobInfo job)
    {
        var tenant = Tenant(job.Tenant);
        if (await NamesAsync(job.Tenant.Value, tenant) is not { } names)
        {
            return;
        }

        QuotaValidationException? refused = null;
        foreach (var (eventId, quota, amount) in JobCharges.Of(poolId, job, names.Budgets))
        {
            try
            {
                await RecordAsync(tenant, job, eventId, quota, amount);
            }
            catch (QuotaValidationException e) when (e.Code == ValidationCodes.UnknownQuota)
            {
                // The budget was removed since the quota names were read: there is nothing left to charge in it.
            }
            catch (QuotaValidationException e) when (e.Code == Tenants.TenantErrors.UnknownTenant)
            {
                return;
            }
            catch (QuotaValidationException e)
            {
                refused ??= e;
            }
        }

        if (refused is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
        }
    }

    /// <summary>
    /// A charge, rolled up when its job completed; counted now instead when the tenant's clock finds that month closed
    /// (the pool's found it open a moment before) or its silo runs a release without dated usage. Not bounded by
    /// <see cref="TenantCallTimeout"/>: a debt counts as being paid until its call has ended (see OwedUsage), and one
    /// given up on while it could still arrive let a second payment through, the tenant then forget the charge, and the
    /// first count it again.
    /// </summary>
    private async Task RecordAsync(ITenantGrain tenant, JobInfo job, string eventId, string quota, long amount)
    {
        if (JobCharges.DatedAt(job, time.GetUtcNow()) is { } completed)
        {
            try
            {
                await tenant.RecordUsageAt(eventId, quota, amount, completed);
                return;
            }
            catch (Exception e) when (e is NotSupportedException or QuotaValidationException { Code: ValidationCodes.InvalidOccurredAt })
            {
                // Counted now, below: the charge itself is never dropped for its date.
            }
        }

        await tenant.RecordUsage(eventId, quota, amount);
    }
}
