using Microsoft.Extensions.Logging;
using Quotas.Contracts;
using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// The pool's settling with its tenants: the usage it owes for completed jobs, the tenant leases it releases when a
/// job's lease ends, the sweep that finishes what a call could not, and forgetting a deleted tenant.
/// </summary>
public sealed partial class FairShareSchedulerGrain
{
    /// <summary>
    /// <see cref="SettleAsync"/> for a call that answers once it is done, waiting no longer than a tenant call may
    /// (<see cref="TenantAdmission.TenantCallTimeout"/>): a settlement still waiting on its tenant then goes on after
    /// the answer, which what the call stored already decides (a charge cannot be given up on while it may arrive, see
    /// TenantAdmission.RecordAsync). It made a completion or cancel wait up to the call's own timeout (30 s) for a
    /// tenant that hangs, and answer 504 although stored. Throws what the tenant threw in time.
    /// </summary>
    private async Task SettleBeforeAnswerAsync(JobId job, TenantId tenant)
    {
        var settling = SettleAsync(job, tenant);
        try
        {
            await settling.WaitAsync(TenantAdmission.TenantCallTimeout, _time);
        }
        catch (TimeoutException)
        {
            _ = LogIfSettlingFailsAsync(settling, job);
        }
    }

    private async Task LogIfSettlingFailsAsync(Task settling, JobId job)
    {
        try
        {
            await settling;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // What is left is the sweep's, as after a settlement that failed in time.
            LogSettleFailed(_logger, e, GetPrimaryKeyString(), job.Value);
        }
    }

    /// <summary>
    /// Releases the tenant leases held for a job whose lease ended (and any an earlier release left), then records the
    /// usage it owes once that debt is stored; stored once done. Throws what the tenant threw, keeping what is left.
    /// </summary>
    private async Task SettleAsync(JobId job, TenantId tenant)
    {
        var changed = _admission.Holds(job) || _admission.SetApart.Jobs.Contains(job.Value);
        await _admission.RetryReleasesAsync(job);
        if (Pool().Get(job) is not { State: JobState.Leased })
        {
            await _admission.ReleaseAsync(job, tenant);
        }

        if (_owed.TryGetStored(job, out var owed))
        {
            await PayAsync(owed);
            changed = true;
        }

        if (changed)
        {
            await _commit.PersistAsync();
        }
    }

    /// <summary>Records a stored debt with its tenant and forgets it; a charge the tenant refuses for good is logged and dropped.</summary>
    private async Task PayAsync(JobInfo owed)
    {
        // A debt paid since the caller listed it (the pool is reentrant: a delete or the sweep walks a list taken before
        // other calls paid) is not sent again: once paid and stored, its tenant may have forgotten its charges, and
        // would count them twice.
        if (!_owed.TryGetStored(owed.Id, out var current) || !ReferenceEquals(current, owed))
        {
            return;
        }

        // Counted while in flight: the tenant is not told to forget the job's charges while some may still be on the way.
        _owed.Paying(owed.Id);
        try
        {
            await _admission.RecordUsageAsync(owed);
        }
        catch (Core.Tenants.QuotaValidationException e)
        {
            // Not a failure to reach the tenant but a refusal that a retry would meet again (an amount it cannot count).
            // A tenant deleted meanwhile charged itself what it was owed, as its delete took it (RemoveTenant).
            if (_owed.Owes(owed.Id))
            {
                LogUsageRefused(_logger, e, GetPrimaryKeyString(), owed.Id.Value, owed.Tenant.Value);
            }
        }
        finally
        {
            _owed.DonePaying(owed.Id);
        }

        _owed.Paid(owed);
    }

    /// <summary>
    /// What earlier calls could not finish with the tenants, a batch per sweep, each only once stored: usage owed for
    /// completed jobs, and tenant leases whose release failed. A tenant that still cannot be reached is left for the
    /// next sweep; the others go on.
    /// </summary>
    private async Task SettleLeftoversAsync()
    {
        const int Batch = 16;
        var failed = new HashSet<string>(StringComparer.Ordinal);
        var changed = false;

        // As for the debts below: a tenant that cannot be reached is tried once a sweep, so that its leases do not fill
        // every batch and hold back the releases other tenants wait for.
        var releases = 0;
        foreach (var job in _admission.SetApart.Jobs.ToList())
        {
            if (releases == Batch)
            {
                break;
            }

            if (!_admission.SetApart.TryGet(job, out var pending) || failed.Contains(pending.Tenant.Value))
            {
                continue;
            }

            releases++;
            try
            {
                await _admission.RetryReleasesAsync(new JobId(job));
                changed = true;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed.Add(pending.Tenant.Value);
                LogSettleFailed(_logger, e, GetPrimaryKeyString(), job);
            }
        }

        // The oldest debts of tenants reached so far: one that cannot be reached is tried once a sweep and skipped after,
        // so that it does not hold back what the others are owed (its debts could fill every batch).
        var attempts = 0;
        foreach (var owed in _owed.Oldest(int.MaxValue))
        {
            if (attempts == Batch)
            {
                break;
            }

            if (failed.Contains(owed.Tenant.Value))
            {
                continue;
            }

            attempts++;

            // Waited for no longer than a tenant call may take: a tenant that hangs (its silo stalled, not yet declared
            // dead) held up the sweep for each of its debts, and with it the expired worker leases it takes back. The
            // payment goes on meanwhile (a charge is not given up on while it may arrive) and a later write stores it.
            var paying = PayAsync(owed);
            try
            {
                await paying.WaitAsync(TenantAdmission.TenantCallTimeout, _time);
                changed = true;
            }
            catch (TimeoutException) when (!paying.IsCompleted)
            {
                failed.Add(owed.Tenant.Value);
                _ = LogIfSettlingFailsAsync(paying, owed.Id);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed.Add(owed.Tenant.Value);
                LogSettleFailed(_logger, e, GetPrimaryKeyString(), owed.Id.Value);
            }
        }

        if (changed)
        {
            await _commit.PersistAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Pool {Pool} could not charge the usage of job {Job} to tenant {Tenant}, which refused it; the job's usage is not counted in the tenant's budgets")]
    private static partial void LogUsageRefused(ILogger logger, Exception exception, string pool, long job, string tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool {Pool} could not yet record the usage of job {Job} with its tenant or release its tenant leases; the next sweep tries again")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string pool, long job);

    public async Task<IReadOnlyList<JobInfo>> RemoveTenant(TenantId tenant)
    {
        if (_scheduler is null)
        {
            return [];
        }

        // One synchronous step, so the jobs and their tenant leases go in one write. The tenant is not called: it is
        // being deleted (it calls this). The usage still owed goes back to it in the answer, and stays owed here until
        // the tenant says it has stored it (TenantChargedItself): a delete that fails before then loses none of it,
        // and a retried one gets it again (the tenant counts a pool's charge once). A job still running, or waiting
        // after a preempted run, is owed as a cancel charges it, so that a delete does not spare the work it ran.
        _removedTenants.Add(tenant);
        _tiers.Forget(tenant);
        _admission.Forget(tenant);
        return await MutateAsync(
            scheduler =>
            {
                var now = _time.GetUtcNow();
                foreach (var charged in scheduler.ChargedByCancel(tenant))
                {
                    OweForCancel(charged, now, forgotten: true);
                }

                foreach (var job in scheduler.RemoveTenant(tenant, now))
                {
                    _admission.Drop(job);
                }

                return (IReadOnlyList<JobInfo>)_owed.OfTenant(tenant);
            },
            _ => true);
    }

    public Task TenantChargedItself(TenantId tenant, IReadOnlyList<JobId> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (_scheduler is null)
        {
            return Task.CompletedTask;
        }

        return MutateAsync(
            _ =>
            {
                var dropped = false;
                foreach (var job in jobs)
                {
                    dropped |= _owed.Drop(job, tenant);
                }

                return dropped;
            },
            dropped => dropped);
    }

    /// <summary>
    /// Takes back the worker leases that have expired, setting their tenant leases apart by id in the same step, for
    /// the sweep to release: a job leased again meanwhile keeps its new ones. On activation nothing more is done, as an
    /// activation may come from a tenant's own call (deleting a tenant asks every pool), and a call back into that
    /// tenant would wait for it. Finished jobs past their retention, which the same step forgets, are stored as gone.
    /// </summary>
    private Task TakeBackExpiredLeasesAsync() => MutateAsync(
        scheduler =>
        {
            var expired = scheduler.ExpireLeases(_time.GetUtcNow());
            foreach (var lease in expired)
            {
                _admission.ReleaseLater(lease.JobId, lease.Tenant);
            }

            return expired.Count > 0 || scheduler.ForgotSinceTaken;
        },
        changed => changed);

    private static readonly TimeSpan s_keptWhileRunning = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether the sweep still has something to settle with tenants: usage owed, tenant leases to release or to take
    /// back. Only the sweep settles them and nothing else activates an idle pool, so it stays in memory until they are
    /// settled: collected meanwhile, it left them unpaid and held until some call came to the pool.
    /// </summary>
    private bool HasUnsettled => _owed.Count > 0 || _admission.SetApart.Jobs.Count > 0 || _admission.Unanswered.Count > 0;

    /// <summary>How long a pool with nothing running stays in memory for what it has still to settle.</summary>
    private static readonly TimeSpan s_keptWhileUnsettled = TimeSpan.FromHours(1);

    private DateTimeOffset? _unsettledSince;

    /// <summary>
    /// Whether to stay in memory for what is still to settle (<see cref="HasUnsettled"/>): for an hour at most, so that a
    /// debt no tenant can take (its stored state no longer reads, say) does not keep the pool, and its sweep's warning
    /// every second, for ever. Its next activation tries again.
    /// </summary>
    private bool KeepsUnsettled()
    {
        if (!HasUnsettled)
        {
            _unsettledSince = null;
            return false;
        }

        var now = _time.GetUtcNow();
        _unsettledSince ??= now;
        return now - _unsettledSince < s_keptWhileUnsettled;
    }

    /// <summary>
    /// Keeps the pool in memory while it has running jobs: for <paramref name="leaseTtl"/> (a lease just given or
    /// extended) and a minute more, renewed by the sweep while jobs run. Workers' heartbeats may come further apart than
    /// the idle time, and a pool read back gives its leases a whole lease from then (ResumeLeases), which only a failure
    /// or a stop should need: otherwise a lease whose worker is gone could be extended at every activation. A pool
    /// whose jobs end early stays until then all the same: pools are few, and their sweep costs nothing without jobs.
    /// </summary>
    private void KeepWhileLeased(TimeSpan leaseTtl) => DelayDeactivation(leaseTtl + s_keptWhileRunning);

    /// <summary>The pool's sweep: takes back expired worker leases, then settles what earlier calls left with the tenants.</summary>
    private async Task ExpireLeasesAsync()
    {
        if (_scheduler is null && !_deleting)
        {
            // No pool has this id (one made up, or deleted): the activation leaves at the first sweep instead of after
            // the idle time (15 minutes), so that ids anyone can send cost a storage read each and hold no memory.
            DeactivateOnIdle();
            return;
        }

        if (_scheduler is null || _deleting)
        {
            return;
        }

        if (_scheduler.LeasedJobs > 0 || KeepsUnsettled())
        {
            KeepWhileLeased(TimeSpan.Zero);
        }

        try
        {
            // The expired leases' tenant leases are set apart by their ids in the same step, then released below: a job
            // leased again meanwhile holds new ones, which stay.
            await TakeBackExpiredLeasesAsync();
            if (_scheduler is not null && !_deleting && (_owed.Count > 0 || _admission.SetApart.Jobs.Count > 0))
            {
                await SettleLeftoversAsync();
            }

            await _admission.UndoUnansweredAsync();
            await _admission.RecheckBudgetsAsync(job => _scheduler?.Get(job) is { State: JobState.Queued });
            if (_scheduler is not null && !_deleting && _admission.BudgetWaits.HasChanges)
            {
                await _commit.PersistAsync();
            }

            await ForgetSettledChargesAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A write that failed put the pool back as stored; the next sweep tries again.
            LogSweepFailed(_logger, e, GetPrimaryKeyString());
        }
    }

    /// <summary>
    /// Tells each tenant which charges of this pool's jobs it may forget: their debts are paid and stored as paid, so no
    /// retry will send them again. A tenant that cannot be reached is told at a later sweep; one on a silo of an earlier
    /// release, which does not know the call, is not told (it forgets them in its own time, oldest first).
    /// </summary>
    private async Task ForgetSettledChargesAsync()
    {
        const int JobsPerCall = 256;
        var pool = GetPrimaryKeyString();
        foreach (var group in _owed.TakeSettled().GroupBy(job => job.Tenant))
        {
            var tenant = GrainFactory.GetGrain<ITenantGrain>(group.Key.Value);
            foreach (var jobs in group.Chunk(JobsPerCall))
            {
                try
                {
                    await tenant.ForgetPoolCharges([.. jobs.SelectMany(job => JobCharges.EventIds(pool, job))]).WaitAsync(TenantAdmission.TenantCallTimeout, _time);
                }
                catch (NotSupportedException)
                {
                    // UnknownGrainMethodException from a silo of an earlier release: there is nothing to tell it.
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _owed.ReturnSettled(group.SkipWhile(job => !jobs.Contains(job)));
                    LogForgetFailed(_logger, e, pool, group.Key.Value);
                    break;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool {Pool} could not yet tell tenant {Tenant} which job charges it may forget; the next sweep tries again")]
    private static partial void LogForgetFailed(ILogger logger, Exception exception, string pool, string tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool {Pool}'s sweep failed; the next one tries again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception, string pool);

    private async Task ReleaseTenantLeasesAsync(IReadOnlyList<(JobId Job, TenantId Tenant)> jobs)
    {
        var released = false;
        foreach (var (job, tenant) in jobs)
        {
            if (_admission.Holds(job))
            {
                await _admission.ReleaseAsync(job, tenant);
                released = true;
            }
        }

        if (released)
        {
            await _commit.PersistAsync();
        }
    }
}
