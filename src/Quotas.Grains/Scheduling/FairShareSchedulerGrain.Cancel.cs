using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>Cancelling a job, and what a cancel charges its tenant.</summary>
public sealed partial class FairShareSchedulerGrain
{
    public async Task<CancelStatus> Cancel(JobId id)
    {
        TenantId? tenant = null;
        var charged = false;
        var status = await MutateAsync(
            scheduler =>
            {
                // Read before the cancel: a pool that keeps few finished jobs may forget this one at once.
                var before = scheduler.Get(id);
                tenant = before?.Tenant;
                var now = _time.GetUtcNow();
                charged = before is not null && OweForCancel(before, now);
                return scheduler.Cancel(id, now, charged);
            },
            status => status == CancelStatus.Cancelled);
        if (status == CancelStatus.Cancelled && tenant is { } owner)
        {
            try
            {
                if (charged)
                {
                    await SettleBeforeAnswerAsync(id, owner);
                }
                else
                {
                    await ReleaseTenantLeasesAsync([(id, owner)]);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The cancel is stored; the leases its tenant could not take back now are released by the sweep.
                LogSettleFailed(_logger, e, GetPrimaryKeyString(), id.Value);
            }
        }

        return status;
    }

    /// <summary>
    /// Owes the charge of a job about to be cancelled, as it is before the cancel, when the cancel charges it: a running
    /// job cancelled is charged as one that finished without a usage report (its demand, and one job), so that
    /// cancelling a job just before it ends does not spare its usage; its worker's later report counts nothing again.
    /// Not one whose tenant has not yet admitted its lease, nor a tenant with no budget to charge. A queued job that
    /// ran before, preempted, is charged what those runs reported (and one job), unless a lease of it expired since and
    /// the job stays known (<paramref name="forgotten"/> false): that lease's late report then charges it. Returns
    /// whether it is owed (a running job's cancel then always succeeds).
    /// </summary>
    private bool OweForCancel(JobInfo before, DateTimeOffset now, bool forgotten = false)
    {
        // A queued job's earlier runs are charged even while a lease call that its tenant refused is still finishing
        // (its admission entry stays until then): the runs happened whatever that lease came to.
        var ranBefore = before is { State: JobState.Queued, PreemptedUsage: not null } && (forgotten || before.Expiries == 0);
        var running = before.State == JobState.Leased && !_admitting.ContainsKey((before.Id.Value, before.Attempts));
        if (!(running || ranBefore) || !_admission.MayCharge(before.Tenant))
        {
            return false;
        }

        _owed.Owe(before with
        {
            State = JobState.Cancelled,
            CompletedAt = now,
            WorkerId = null,
            LeaseExpiresAt = null,
            // A running job: its demand, with what it ran before, written out, so that a pool or tenant of the release
            // before (which knows no PreemptedUsage) charges the same.
            ActualUsage = ranBefore ? before.PreemptedUsage : before.PreemptedUsage is null ? null : before.ChargedUsage,
        });
        return true;
    }
}
