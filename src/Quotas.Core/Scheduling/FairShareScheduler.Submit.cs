namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    private const int MaxIdempotencyKeyLength = 256;

    /// <summary>
    /// The range of a job's priority. Aging moves a waiting job up one point per <see cref="PoolConfig.AgingPerSecond"/>
    /// reciprocal seconds, so the range bounds how long newer jobs of higher priority can keep it waiting: at most
    /// 20,000 points, two weeks at the default of one point a minute.
    /// </summary>
    public const int MinPriority = -10_000;

    /// <inheritdoc cref="MinPriority"/>
    public const int MaxPriority = 10_000;

    /// <summary>
    /// Queues a job, or returns the job an earlier submission with the same tenant and idempotency key created.
    /// Throws <see cref="SchedulingException"/> and changes nothing when the request cannot be accepted.
    /// </summary>
    public SubmitResult Submit(SubmitJobRequest request, DateTimeOffset now) => Submit(request, now, tierKnown: false, tier: null);

    /// <summary>
    /// <see cref="Submit(SubmitJobRequest, DateTimeOffset)"/> for a tenant whose tier the owner knows (null: none): a
    /// tenant the pool does not list is checked against its tier's settings (<see cref="PoolConfig.Tiers"/>), and the
    /// tier is recorded with the job, as <see cref="SetTenantTier"/> does.
    /// </summary>
    public SubmitResult Submit(SubmitJobRequest request, string? tier, DateTimeOffset now) => Submit(request, now, tierKnown: true, tier);

    private SubmitResult Submit(SubmitJobRequest request, DateTimeOffset now, bool tierKnown, string? tier)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TenantId.IsValid(request.Tenant.Value))
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidTenantId, "The request has no valid tenant id; set Tenant.");
        }

        if (string.IsNullOrEmpty(request.IdempotencyKey) || request.IdempotencyKey.Length > MaxIdempotencyKeyLength)
        {
            throw new SchedulingException(
                SchedulingErrorCodes.InvalidArgument,
                $"IdempotencyKey must be 1 to {MaxIdempotencyKeyLength} characters; send the same key when retrying a submission.");
        }

        if (request.EstimatedDuration is { } estimate && estimate < TimeSpan.Zero)
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidArgument, "EstimatedDuration must not be negative; omit it when unknown.");
        }

        _tenants.TryGetValue(request.Tenant, out var tenant);
        CheckMaySubmit(request, tenant);

        // The key is looked up before the demand is held against capacity: a retry returns the job it created even
        // when that job could no longer be submitted (the capacity shrank since). Finished jobs past their retention are
        // forgotten first, so that their keys create new jobs also when no other job finished since.
        var dense = ValidateDemand(request.Demand);
        TrimFinished(now);
        if (tenant is not null && tenant.TryGetByIdempotencyKey(request.IdempotencyKey, out var existing))
        {
            if (existing.Priority != request.Priority || !existing.Dense.AsSpan().SequenceEqual(dense) || existing.EstimatedDuration != request.EstimatedDuration)
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.IdempotencyConflict,
                    $"Idempotency key '{request.IdempotencyKey}' was used for job {existing.Id} with a different demand, priority or estimated duration; use a new key for a new job.");
            }

            if (existing.State == JobState.Leased)
            {
                SettleReclaim(); // a running job may have a mark to come
            }

            return new SubmitResult(existing.ToInfo(), Created: false);
        }

        // After the key: a retry of a job a release without the range accepted still returns that job.
        if (request.Priority is < MinPriority or > MaxPriority)
        {
            throw new SchedulingException(
                SchedulingErrorCodes.InvalidArgument,
                $"Priority {request.Priority} is out of range: use {MinPriority} to {MaxPriority} (higher runs first; 0 when all jobs are equal). " +
                "A bounded range is what lets aging bring every waiting job to the front.");
        }

        CheckFitsCapacity(dense);
        CheckOutsideReserve(tenant, dense);

        if ((tierKnown ? LimitUnderTier(request.Tenant, tenant, tier) : tenant?.Limit) is { } limit)
        {
            for (var i = 0; i < dense.Length; i++)
            {
                if (dense[i] > limit[i])
                {
                    throw new SchedulingException(
                        SchedulingErrorCodes.DemandExceedsTenantLimit,
                        $"Demand {_layout.NameAt(i)}={dense[i]} exceeds tenant '{request.Tenant}''s guarantee plus borrowing limit ({limit[i]}) in pool '{_config.Id}'; split the job or raise the tenant's limit.");
                }
            }
        }

        if (tenant is not null && tenant.QueuedCount >= _config.MaxQueuedJobsPerTenant)
        {
            throw new SchedulingException(
                SchedulingErrorCodes.TenantQueueFull,
                $"Tenant '{request.Tenant}' already has {tenant.QueuedCount} queued jobs in pool '{_config.Id}', the limit; retry after some complete.");
        }

        if (_queuedTotal >= _config.MaxQueuedJobsPerPool)
        {
            throw new SchedulingException(
                SchedulingErrorCodes.PoolQueueFull,
                $"Pool '{_config.Id}' already holds {_queuedTotal} queued jobs, the limit; retry later or use another pool.");
        }

        tenant ??= GetOrAddTenant(request.Tenant);
        var job = NewJob(tenant, request.Demand, dense, request.Priority, request.IdempotencyKey, request.EstimatedDuration, now);
        _jobs.Add(job);
        tenant.ByIdempotencyKey.Add(job.StoredIdempotencyKey, job);
        Enqueue(job);
        Changed(job);

        if (tierKnown)
        {
            SetTenantTier(request.Tenant, tier, now);
        }

        return new SubmitResult(job.ToInfo(), Created: true);
    }

    /// <summary>
    /// Whether a submission by <paramref name="tenant"/> under <paramref name="idempotencyKey"/> at <paramref name="now"/>
    /// would answer a job the pool knows (a retry, not a new submission): not one finished longer ago than
    /// <see cref="PoolConfig.FinishedJobRetention"/>, which the submission forgets first.
    /// </summary>
    public bool HasJob(TenantId tenant, string idempotencyKey, DateTimeOffset now) =>
        _tenants.TryGetValue(tenant, out var state) && idempotencyKey is not null && state.TryGetByIdempotencyKey(idempotencyKey, out var job)
        && !PastRetention(job, now);

    /// <summary>
    /// Cancels every job a cancel charges, as <see cref="Cancel"/> cancels one (a pool deleted with force): the running
    /// ones, and the queued ones whose preempted runs reported usage (see <see cref="ChargedByCancel"/>);
    /// <paramref name="charge"/> says of each, as it was before, whether the caller charges it. Returns them as they
    /// were before.
    /// </summary>
    public IReadOnlyList<JobInfo> CancelCharged(DateTimeOffset now, Func<JobInfo, bool> charge)
    {
        ArgumentNullException.ThrowIfNull(charge);
        var charged = ChargedByCancel(null);
        foreach (var job in charged)
        {
            Cancel(job.Id, now, charge(job));
        }

        return charged;
    }

    /// <summary>
    /// The jobs a cancel charges, as they are now, of one tenant (every tenant when null): the running ones, and the
    /// queued ones whose preempted runs reported usage. Empty for a tenant the pool does not know.
    /// </summary>
    public IReadOnlyList<JobInfo> ChargedByCancel(TenantId? tenant)
    {
        if (tenant is { } id && !_tenants.ContainsKey(id))
        {
            return [];
        }

        var jobs = tenant is { } one ? _tenants[one].ByIdempotencyKey.Values : _tenants.Values.SelectMany(t => t.ByIdempotencyKey.Values);
        return jobs.Where(job => job.State == JobState.Leased || job is { State: JobState.Queued, PreemptedUsage: not null })
            .OrderBy(job => job.Id)
            .Select(job => job.ToInfo())
            .ToList();
    }

    /// <summary>
    /// Cancels a queued or leased job; a leased job's capacity is freed and its worker told by heartbeat.
    /// <paramref name="chargedDemand"/>: whether the caller charges a running job its demand, as one that ended without a
    /// usage report (the job then shows its demand as its actual usage, and no later report of it counts), or a queued
    /// job what its preempted runs reported (<see cref="Job.PreemptedUsage"/>); false when it charges nothing (its tenant
    /// had not admitted the lease yet, say), so that the late report of an earlier lease of the job that expired still
    /// counts.
    /// </summary>
    public CancelStatus Cancel(JobId id, DateTimeOffset now, bool chargedDemand = true)
    {
        if (!_jobs.TryGetValue(id.Value, out var job))
        {
            return CancelStatus.NotFound;
        }

        if (job.IsTerminal)
        {
            return CancelStatus.AlreadyFinished;
        }

        if (job.State == JobState.Queued)
        {
            LeaveQueue(job);

            // It waited after a preempted run: what that run reported is what the job used, when the caller charges it
            // (not, say, after a lease of it expired: that lease's worker may still report, and is charged then).
            job.ActualUsage = chargedDemand ? job.PreemptedUsage : null;
        }
        else
        {
            Release(job, now);
            if (chargedDemand)
            {
                job.ActualUsage = RunUsage.Plus(job.Demand, job.PreemptedUsage);
            }
        }

        Finish(job, JobState.Cancelled, now);
        return CancelStatus.Cancelled;
    }

    /// <summary>
    /// Refuses a tenant the pool does not admit, before the demand is looked at, so that a refused tenant learns nothing
    /// about the pool's resources or capacity. A retry of a job the tenant submitted while it was admitted is not a new
    /// submission: it goes on to return that job.
    /// </summary>
    private void CheckMaySubmit(SubmitJobRequest request, TenantState? tenant)
    {
        if (!_config.ListedTenantsOnly || _shares.ContainsKey(request.Tenant)
            || (tenant is not null && tenant.TryGetByIdempotencyKey(request.IdempotencyKey, out _)))
        {
            return;
        }

        throw NotInPool(request.Tenant);
    }

    // The message names the caller and the pool only: which tenants the pool does admit is not the caller's business.
    private SchedulingException NotInPool(TenantId tenant) => new(
        SchedulingErrorCodes.TenantNotInPool,
        $"Tenant '{tenant}' is not admitted to pool '{_config.Id}', which admits only the tenants listed in its configuration; ask an administrator to add the tenant to the pool's tenants.");

    /// <summary>The demand in the pool's layout, refused when it is missing, names an unknown resource, or is negative or zero.</summary>
    private long[] ValidateDemand(ResourceVector? demand)
    {
        if (demand is null)
        {
            throw new SchedulingException(SchedulingErrorCodes.DemandEmpty, "Demand is missing; ask for at least one unit of a resource, e.g. workers=1.");
        }

        var dense = _layout.ToDense(demand, "the demand");
        var any = false;
        for (var i = 0; i < dense.Length; i++)
        {
            if (dense[i] < 0)
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.DemandNegative,
                    $"Demand {_layout.NameAt(i)}={dense[i]} is negative; give amounts of 0 or more.");
            }

            // A job reported without its actual usage is charged its demand, which a budget must be able to count.
            if (dense[i] > Tenants.QuotaLimit.MaxValue)
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.InvalidArgument,
                    $"Demand {_layout.NameAt(i)}={dense[i]} is more than a quota or budget can count ({Tenants.QuotaLimit.MaxValue}); ask in a larger unit.");
            }

            any |= dense[i] > 0;
        }

        if (!any)
        {
            throw new SchedulingException(SchedulingErrorCodes.DemandEmpty, "Demand is zero; ask for at least one unit of a resource, e.g. workers=1.");
        }

        return dense;
    }

    private void CheckFitsCapacity(long[] dense)
    {
        for (var i = 0; i < dense.Length; i++)
        {
            if (dense[i] > _capacity[i])
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.DemandExceedsCapacity,
                    $"Demand {_layout.NameAt(i)}={dense[i]} exceeds pool '{_config.Id}' capacity {_capacity[i]}, so the job could never run; split it or submit it to a larger pool.");
            }
        }
    }

    /// <summary>Refuses a demand the tenant could get only by borrowing the pool's reserve, which borrowing never takes.</summary>
    private void CheckOutsideReserve(TenantState? tenant, long[] dense)
    {
        for (var i = 0; i < dense.Length; i++)
        {
            var guaranteed = tenant?.Guaranteed[i] ?? 0;
            if (OnlyTheReserveCouldHold(i, dense[i], guaranteed))
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.DemandExceedsCapacity,
                    $"Demand {_layout.NameAt(i)}={dense[i]} exceeds what pool '{_config.Id}' lends beyond a guarantee (capacity {_capacity[i]} minus reserve {_reserve[i]}) and the tenant's guarantee ({guaranteed}), so the job could never run; split it, or give the tenant a guarantee that covers it.");
            }
        }
    }

    private void Enqueue(Job job)
    {
        var tenant = job.Tenant;
        ReclaimLater();
        job.State = JobState.Queued;
        job.Key = JobKey.For(job.Priority, job.EnqueuedAt, _agingPerSecond, job.Id);
        tenant.Queue.Enqueue(job, job.Key);
        job.InTenantQueue = true;
        tenant.QueuedCount++;
        _queuedTotal++;
        VectorMath.Add(tenant.QueuedDemand, job.Dense);
        for (var i = 0; i < job.Dense.Length; i++)
        {
            if (job.Dense[i] == 0)
            {
                _queuedZero[i]++;
            }
        }

        if (!_ready.Contains(tenant))
        {
            _ready.Add(tenant);
        }
    }

    /// <summary>Accounts for a job leaving the Queued state; its heap entry, if still there, is dropped lazily.</summary>
    private void LeaveQueue(Job job)
    {
        LeaveSetAside(job);
        ReclaimLater();
        var tenant = job.Tenant;
        tenant.QueuedCount--;
        _queuedTotal--;
        VectorMath.Subtract(tenant.QueuedDemand, job.Dense);
        for (var i = 0; i < job.Dense.Length; i++)
        {
            if (job.Dense[i] == 0)
            {
                _queuedZero[i]--;
            }
        }

        if (tenant.QueuedCount == 0)
        {
            foreach (var (stale, _) in tenant.Queue.UnorderedItems)
            {
                stale.InTenantQueue = false;
            }

            tenant.Queue.Clear();
            _ready.Remove(tenant);
        }
    }
}
