namespace Quotas.Core.Scheduling;

/// <summary>
/// Fair-share scheduler of one pool: weighted dominant-resource fairness across tenants, priority with aging within a
/// tenant, guarantees with borrowing and reclaim, leases with heartbeats. Not thread-safe: its owner (a grain)
/// serializes calls. Time is always passed in.
/// </summary>
public sealed partial class FairShareScheduler
{
    private const int MaxPooledJobs = 1 << 16;
    private readonly ResourceLayout _layout;
    private readonly QuotaCheck? _quotaCheck;
    private readonly Dictionary<TenantId, TenantState> _tenants = [];

    /// <summary>Ordinals of tenants the pool dropped (<see cref="RemoveTenant"/>), for the next tenants it meets.</summary>
    private readonly Stack<int> _freeOrdinals = new();
    private readonly Dictionary<TenantId, TenantShare> _shares = [];
    private readonly Dictionary<string, TierShare> _tierShares = new(StringComparer.Ordinal);
    private readonly List<TenantState> _guaranteed = [];
    private readonly TenantHeap _ready = new();
    private readonly JobsById _jobs = new();
    private readonly List<Job> _leased = [];
    private readonly Queue<Job> _finished = new();
    private readonly Stack<Job> _jobPool = new();
    private readonly long[] _allocated;
    private readonly long[] _marked;
    private readonly long[] _protected;
    private readonly int[] _queuedZero;

    // The largest worker seen, per resource (what it offered free plus what it ran; in memory): no capacity is held
    // for a job no worker can take, which holding would only keep idle.
    private readonly long[] _largestWorker;
    private readonly double _agingPerSecond;
    private PoolConfig _config;
    private long[] _capacity;
    private readonly long[] _reserve;
    private long _nextJobId = 1;
    private long _servedClock;
    private int _queuedTotal;
    private DateTimeOffset _keysRefreshedAt;

    /// <remarks>
    /// quotaCheck: Optional hook asked before each lease; see <see cref="QuotaCheck"/>. trackChanges: keep what
    /// changed for <see cref="TakeChanges"/>, for an owner that stores the pool piece by piece. The constructor, which
    /// also rebuilds stored pools, does not apply <see cref="PoolGuarantees.EnsureFit"/>; an owner creating a pool does.
    /// </remarks>
    public FairShareScheduler(PoolConfig config, QuotaCheck? quotaCheck = null, bool trackChanges = false)
    {
        PoolConfigValidator.Validate(config);
        _config = config;
        _quotaCheck = quotaCheck;
        _trackChanges = trackChanges;
        _agingPerSecond = config.AgingPerSecond;
        _layout = new ResourceLayout(config.Capacity);
        _capacity = _layout.ToDense(config.Capacity, "capacity");
        _reserve = _layout.ToDense(config.Reserve, "reserve");
        _allocated = new long[_layout.Count];
        _marked = new long[_layout.Count];
        _protected = new long[_layout.Count];
        _queuedZero = new int[_layout.Count];
        _largestWorker = new long[_layout.Count];
        foreach (var share in config.Tenants)
        {
            ApplyShare(GetOrAddTenant(share.Tenant), share);
        }

        foreach (var tier in config.Tiers)
        {
            _tierShares[tier.Tier] = tier;
        }
    }

    /// <summary>The pool's current configuration, tenants included.</summary>
    public PoolConfig Config => _config;

    public int QueuedJobs => _queuedTotal;

    public int LeasedJobs => _leased.Count;

    /// <summary>The id the next submitted job gets.</summary>
    public long NextJobId => _nextJobId;

    /// <summary>
    /// Numbers the next job from <paramref name="nextJobId"/> at least: a pool created again under the id of a deleted
    /// one goes on from where that one stopped, so that no job id is ever used twice under one pool id (tenants know a
    /// pool's jobs by pool id and job id, in their lease keys and usage event ids).
    /// </summary>
    public void ContinueJobIdsFrom(long nextJobId) => _nextJobId = Math.Max(_nextJobId, nextJobId);

    /// <summary>Capacity held by leased jobs (by their demand).</summary>
    public ResourceVector Allocated => _layout.ToVector(_allocated);

    public JobInfo? Get(JobId id)
    {
        if (!_jobs.TryGetValue(id.Value, out var job))
        {
            return null;
        }

        if (job.State == JobState.Leased)
        {
            SettleReclaim(); // only a running job carries a mark
        }

        return job.ToInfo();
    }

    /// <summary>A tenant's jobs in submission order, <paramref name="pageSize"/> at a time.</summary>
    public JobPage List(TenantId tenant, int pageSize, string? cursor = null)
    {
        SettleReclaim();
        var after = JobCursor(pageSize, cursor);
        if (!_tenants.TryGetValue(tenant, out var state))
        {
            return new JobPage([], null);
        }

        // The tenant's key index holds every job the pool still knows for it: O(jobs the tenant has × log page size)
        // per page, with no list in id order to keep up on each submission and forgotten job (two uncached records each).
        return JobPageOf(state.ByIdempotencyKey.Values, after, pageSize);
    }

    /// <summary>Checks a page request on jobs; returns the id the page starts after.</summary>
    private static long JobCursor(int pageSize, string? cursor)
    {
        CheckPageSize(pageSize);

        long after = 0;
        if (cursor is not null && (!long.TryParse(cursor, System.Globalization.CultureInfo.InvariantCulture, out after) || after < 0))
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidCursor, "The cursor is not one this pool returned; pass NextCursor from the previous page, or null to start.");
        }

        return after;
    }

    private static void CheckPageSize(int pageSize)
    {
        if (pageSize is < 1 or > 1000)
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidArgument, "Page size must be between 1 and 1000.");
        }
    }

    /// <summary>The page of <paramref name="jobs"/> with the lowest ids after <paramref name="after"/>, in id order.</summary>
    private static JobPage JobPageOf(IEnumerable<Job> jobs, long after, int pageSize)
    {
        var lowest = LowestIds.After(jobs, after, pageSize + 1);
        var page = new List<JobInfo>(Math.Min(pageSize, lowest.Count));
        for (var i = 0; i < lowest.Count && page.Count < pageSize; i++)
        {
            page.Add(lowest[i].ToInfo());
        }

        return new JobPage(page, lowest.Count > pageSize ? page[^1].Id.ToString() : null);
    }

    /// <summary>
    /// The tenant's standing in the pool; zero for a tenant the pool does not know yet, except in a pool for listed
    /// tenants only, which refuses an unlisted tenant as its submissions are refused, telling it nothing of its resources.
    /// </summary>
    public TenantUsage GetTenantUsage(TenantId tenant)
    {
        if (!_tenants.TryGetValue(tenant, out var t))
        {
            if (_config.ListedTenantsOnly)
            {
                throw NotInPool(tenant);
            }

            var zero = _layout.ToVector(new long[_layout.Count]);
            return new TenantUsage(tenant, zero, 0, 0, 0, 0, zero);
        }

        return new TenantUsage(tenant, _layout.ToVector(t.Allocated), t.QueuedCount, t.LeasedCount, t.CompletedCount, t.ShareKey, _layout.ToVector(t.ReportedUsage), t.Weight, t.Tier);
    }

    /// <summary>Changes the pool's capacity (same resources); the fair order is re-evaluated at once, reclaim by the next call that reads it.</summary>
    public void UpdateCapacity(ResourceVector capacity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        var next = _config with { Capacity = capacity };
        PoolConfigValidator.Validate(next);
        PoolGuarantees.EnsureFit(next, _config);
        var sameResources = capacity.Count == _layout.Count;
        for (var i = 0; sameResources && i < capacity.Count; i++)
        {
            sameResources = capacity.NameAt(i) == _layout.NameAt(i);
        }

        if (!sameResources)
        {
            throw new SchedulingException(
                SchedulingErrorCodes.InvalidPoolConfig,
                "A capacity change must name the same resources as the pool; create a new pool to change the resource set.");
        }

        _config = next;
        _poolChanged = true;
        _capacity = _layout.ToDense(capacity, "capacity");
        ReturnSetAside();
        RefreshAllKeys(now);
        ReclaimLater();
    }

    /// <summary>Adds or replaces a tenant's settings in this pool.</summary>
    public void SetTenant(TenantShare share, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(share);
        PoolConfigValidator.ValidateShare(_config, share);
        PoolGuarantees.EnsureFit(_config with { Tenants = [.. _shares.Values.Where(s => s.Tenant != share.Tenant), share] }, _config);
        ApplyShare(GetOrAddTenant(share.Tenant), share);
        _config = _config with { Tenants = [.. _shares.Values] };
        _poolChanged = true;
        ReturnSetAside();
        UpdateKey(_tenants[share.Tenant], now);
        ReclaimLater();
    }

    /// <summary>Ends a job in terminal <paramref name="state"/> and forgets finished jobs past their retention.</summary>
    private void Finish(Job job, JobState state, DateTimeOffset now)
    {
        job.State = state;
        job.CompletedAt = now;
        Changed(job);
        _finished.Enqueue(job);
        TrimFinished(now);
    }

    /// <summary>
    /// Forgets finished jobs beyond <see cref="PoolConfig.MaxFinishedJobs"/> or older than
    /// <see cref="PoolConfig.FinishedJobRetention"/>, oldest finished first; O(1) amortized per finished job.
    /// </summary>
    private void TrimFinished(DateTimeOffset? now)
    {
        var max = _config.MaxFinishedJobs;
        while (_finished.Count > 0)
        {
            var oldest = _finished.Peek();
            if (_finished.Count <= max && !(now is { } at && PastRetention(oldest, at)))
            {
                break;
            }

            _finished.Dequeue();
            Purge(oldest);
        }
    }

    /// <summary>Whether <paramref name="job"/> finished longer ago than <see cref="PoolConfig.FinishedJobRetention"/> at <paramref name="now"/>.</summary>
    private bool PastRetention(Job job, DateTimeOffset now) =>
        job.IsTerminal && job.CompletedAt is { } done && now - done > _config.FinishedJobRetention;

    private void Purge(Job job)
    {
        var tenant = job.Tenant;
        Forgotten(job);
        _jobs.Remove(job.Id);
        tenant.ByIdempotencyKey.Remove(job.StoredIdempotencyKey);

        // A job ended while queued may still have a stale entry in its tenant's heap; that record is left to the GC.
        if (!job.InTenantQueue && _jobPool.Count < MaxPooledJobs)
        {
            _jobPool.Push(job);
        }
    }

    private Job NewJob(TenantState tenant, ResourceVector demand, long[] dense, int priority, string idempotencyKey, TimeSpan? estimatedDuration, DateTimeOffset now)
    {
        if (_jobPool.TryPop(out var job))
        {
            job.Reset(_nextJobId++, tenant, demand, dense, priority, idempotencyKey, estimatedDuration, now);
            return job;
        }

        return new Job(_nextJobId++, tenant, demand, dense, priority, idempotencyKey, estimatedDuration, now);
    }

    private void AddLeased(Job job)
    {
        job.LeasedIndex = _leased.Count;
        _leased.Add(job);
        _leasedChanges++;
    }

    private void RemoveLeased(Job job)
    {
        var index = job.LeasedIndex;
        var last = _leased[^1];
        _leased[index] = last;
        last.LeasedIndex = index;
        _leased.RemoveAt(_leased.Count - 1);
        job.LeasedIndex = -1;
        _leasedChanges++;
    }

    private TenantState GetOrAddTenant(TenantId id)
    {
        if (!_tenants.TryGetValue(id, out var tenant))
        {
            // Ordinals in use are unique and dense (the tenant heap indexes its positions by them): a dropped tenant's
            // goes to the next tenant met.
            tenant = new TenantState(id, _freeOrdinals.Count > 0 ? _freeOrdinals.Pop() : _tenants.Count, _layout.Count);
            _tenants.Add(id, tenant);
        }

        return tenant;
    }

    private void ApplyShare(TenantState tenant, TenantShare share)
    {
        _shares[share.Tenant] = share;
        ApplySettings(tenant, share);
    }

    private void ApplySettings(TenantState tenant, TenantShare share)
    {
        tenant.Weight = share.Weight;
        tenant.ResourceWeights = null;
        if (share.ResourceWeights is { Count: > 0 } weights)
        {
            tenant.ResourceWeights = new double[_layout.Count];
            for (var i = 0; i < _layout.Count; i++)
            {
                tenant.ResourceWeights[i] = weights.TryGetValue(_layout.NameAt(i), out var weight) ? weight : share.Weight;
            }
        }

        tenant.Guaranteed = share.Guaranteed is null ? new long[_layout.Count] : (long[])_layout.ToDense(share.Guaranteed, "guarantee").Clone();
        if (share.BorrowingLimit is null)
        {
            tenant.Limit = null;
        }
        else
        {
            var limit = _layout.ToDense(share.BorrowingLimit, "borrowing limit", long.MaxValue);
            for (var i = 0; i < limit.Length; i++)
            {
                limit[i] = limit[i] > long.MaxValue - tenant.Guaranteed[i] ? long.MaxValue : limit[i] + tenant.Guaranteed[i];
            }

            tenant.Limit = limit;
        }

        var hadGuarantee = tenant.HasGuarantee;
        tenant.HasGuarantee = VectorMath.AnyPositive(tenant.Guaranteed);
        if (tenant.HasGuarantee && !hadGuarantee)
        {
            _guaranteed.Add(tenant);
        }
        else if (!tenant.HasGuarantee && hadGuarantee)
        {
            _guaranteed.Remove(tenant);

            // Nothing is held for a tenant without a guarantee; a want left behind would be held again on its next lease.
            tenant.Want = null;
        }
    }
}
