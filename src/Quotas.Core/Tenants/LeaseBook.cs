namespace Quotas.Core.Tenants;

/// <summary>One tenant's gauges held under leases: acquire, release, renew and expire. Exact: usage is always the sum of the
/// live leases and never above the limit (or the soft ceiling).</summary>
/// <remarks>
/// Idempotency: an acquire with an idempotency key that names a live lease, or one of the last <see cref="RememberedReleases"/>
/// released or expired leases, returns that lease again and changes nothing; the same key with another quota or amount is a
/// validation error. Past that bound a reused key acquires anew. Release is idempotent. Leases past their expiry are expired
/// lazily by every call that takes <c>now</c>, so usage is exact without a timer; <see cref="ExpireDue"/> lets the grain do it eagerly.
/// </remarks>
public sealed class LeaseBook
{
    /// <summary>Longest TTL one acquire or renewal may ask for.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(7);

    /// <summary>Refuses a lease TTL out of range (invalid_ttl), for a caller that must check before it asks others.</summary>
    public static void CheckTtl(TimeSpan ttl) => Guard.Ttl(ttl);

    /// <summary>How many released or expired leases still answer a retried acquire with the same idempotency key.</summary>
    public const int RememberedReleases = 256;

    /// <summary>
    /// The keys of the holds a tenant makes for its descendants' leases begin with this (a character no client's key
    /// holds). Such a hold is not remembered once it ends: only the descendant asks for it, under its own lease id, and
    /// within an activation an id the descendant handed out but never stored (its acquire was refused above, or its
    /// write failed) may be asked for again; answered from the ended hold, that lease would be held nowhere. (A later
    /// activation hands out no such id again: lease numbers start from the microseconds since the epoch.)
    /// </summary>
    public const string HoldKeyPrefix = "\u0000child:";

    private readonly TenantId _tenant;
    private readonly QuotaDefinition[] _quotas;
    private readonly long[] _usage;
    private readonly long[] _overSinceTicks;
    private Dictionary<string, Lease>? _leases;
    private Dictionary<string, string>? _liveKeys;
    private RecentKeys<LeaseInfo>? _released;
    private long _earliestExpiryTicks = long.MaxValue;

    public LeaseBook(TenantId tenant, IReadOnlyList<QuotaDefinition> gauges)
    {
        _tenant = tenant;
        _quotas = gauges.ToArray();
        _usage = new long[_quotas.Length];
        _overSinceTicks = new long[_quotas.Length];
    }

    /// <summary>Set by the owner; anything but Active makes every new acquisition a Deny.</summary>
    public TenantStatus Status { get; set; }

    /// <summary>Sequence of the last lease id handed out (persisted so ids are never reused).</summary>
    public long LastSequence { get; private set; }

    public IReadOnlyList<QuotaDefinition> Quotas => _quotas;

    public int LeaseCount => _leases?.Count ?? 0;

    /// <summary>Whether <paramref name="leaseId"/> names a lease held at <paramref name="now"/>; changes nothing.</summary>
    public bool IsLive(string leaseId, DateTimeOffset now) =>
        leaseId is not null && _leases is not null && _leases.TryGetValue(leaseId, out var lease) && lease.ExpiresAt > now;

    /// <summary>The lease <paramref name="leaseId"/> names (its quota, amount and expiry); null when no such lease is held.</summary>
    public LeaseInfo? Describe(string leaseId) =>
        _leases is not null && _leases.TryGetValue(leaseId, out var lease) ? ToInfo(lease) : null;

    /// <summary>When <paramref name="leaseId"/> runs out; null when no such lease is held.</summary>
    public DateTimeOffset? ExpiryOf(string leaseId) =>
        _leases is not null && _leases.TryGetValue(leaseId, out var lease) ? lease.ExpiresAt : null;

    public AdmissionDecision Acquire(string quota, long amount, TimeSpan ttl, string? idempotencyKey, DateTimeOffset now)
    {
        var index = RequireQuota(quota);
        Guard.Amount(amount, quota);
        Guard.Ttl(ttl);
        if (idempotencyKey is not null)
        {
            Guard.Key(idempotencyKey, ValidationCodes.InvalidIdempotencyKey, "idempotency key");
        }

        return AcquireCore(index, amount, ttl, idempotencyKey, now);
    }

    /// <summary>Releases a lease. Returns false, changing nothing, when it is unknown, already released or expired.</summary>
    public bool Release(string leaseId)
    {
        Guard.Key(leaseId, ValidationCodes.InvalidLeaseId, "lease id");
        if (_leases is null || !_leases.TryGetValue(leaseId, out var lease))
        {
            return false;
        }

        Remove(lease);
        return true;
    }

    /// <summary>
    /// Takes back a lease just granted whose acquire did not go through (an ancestor refused, or could not be asked):
    /// as a release, but its idempotency key is not remembered, so a retry of that acquire is a new acquire rather
    /// than the answer of a lease that never took effect. Returns false when the lease is not live.
    /// </summary>
    public bool TakeBack(string leaseId)
    {
        if (_leases is null || !_leases.TryGetValue(leaseId, out var lease))
        {
            return false;
        }

        Remove(lease, rememberKey: false);
        return true;
    }

    /// <summary>Extends a live lease to <paramref name="now"/> + <paramref name="ttl"/>.</summary>
    public LeaseRenewal Renew(string leaseId, TimeSpan ttl, DateTimeOffset now)
    {
        Guard.Key(leaseId, ValidationCodes.InvalidLeaseId, "lease id");
        Guard.Ttl(ttl);
        ExpireDue(now);
        if (_leases is null || !_leases.TryGetValue(leaseId, out var lease))
        {
            return new LeaseRenewal(false, null, ReasonCodes.LeaseNotFound);
        }

        var i = lease.QuotaIndex;
        if (Status == TenantStatus.Deleted)
        {
            return Refusal(ReasonCodes.TenantDeleted);
        }

        if (SoftLimitRule.GraceExpired(_quotas[i].Limit, _usage[i], _overSinceTicks[i], now.UtcTicks))
        {
            return Refusal(ReasonCodes.SoftGraceExpired);
        }

        lease.ExpiresAt = now + ttl;
        _earliestExpiryTicks = Math.Min(_earliestExpiryTicks, lease.ExpiresAt.UtcTicks);
        return new LeaseRenewal(true, lease.ExpiresAt, null);

        LeaseRenewal Refusal(string reason) => new(false, lease.ExpiresAt, reason, _quotas[i].Name, _usage[i], _quotas[i].Limit.Limit);
    }

    /// <summary>Releases every lease whose expiry is at or before <paramref name="now"/>; returns how many.</summary>
    public int ExpireDue(DateTimeOffset now)
    {
        if (_leases is null || now.UtcTicks < _earliestExpiryTicks)
        {
            return 0;
        }

        var due = _leases.Values.Where(l => l.ExpiresAt <= now).ToList();
        foreach (var lease in due)
        {
            Remove(lease);
        }

        _earliestExpiryTicks = _leases.Count == 0 ? long.MaxValue : _leases.Values.Min(l => l.ExpiresAt.UtcTicks);
        return due.Count;
    }

    public int IndexOf(string quota)
    {
        for (var i = 0; i < _quotas.Length; i++)
        {
            if (string.Equals(_quotas[i].Name, quota, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    public long Usage(string quota) => _usage[RequireQuota(quota)];

    internal long UsageAt(int index) => _usage[index];

    public IReadOnlyList<LeaseInfo> Leases() =>
        _leases is null ? [] : _leases.Values.OrderBy(l => l.Id, StringComparer.Ordinal).Select(ToInfo).ToList();

    internal IEnumerable<KeyValuePair<string, LeaseInfo>> Released() => _released?.InOrder() ?? [];

    internal long OverSinceTicks(int index) => _overSinceTicks[index];

    /// <summary>
    /// After a change of a soft limit: a gauge a lowered limit puts past it is over from <paramref name="now"/>, so its
    /// burst and grace count from the change (renewals are refused once they end); one a raised limit puts back within
    /// it is over no longer (see <see cref="SoftLimitRule.OverSinceUnder"/>).
    /// </summary>
    internal void UpdateOverSince(int index, DateTimeOffset now) =>
        _overSinceTicks[index] = SoftLimitRule.OverSinceUnder(_quotas[index].Limit, _usage[index], _overSinceTicks[index], now.UtcTicks);

    internal AdmissionDecision AcquireCore(int index, long amount, TimeSpan ttl, string? key, DateTimeOffset now)
    {
        var definition = _quotas[index];
        if (key is not null && FindByKey(key) is { } previous)
        {
            if (previous.Quota != definition.Name || previous.Amount != amount)
            {
                throw new QuotaValidationException(
                    ValidationCodes.IdempotencyKeyConflict,
                    $"Idempotency key '{key}' was used for {previous.Amount} of '{previous.Quota}': use a new key for a different request.");
            }

            return new AdmissionDecision.Allow(previous.LeaseId, previous.ExpiresAt, SoftLimitRule.Remaining(definition.Limit, _usage[index]));
        }

        _ = Guard.Add(_usage[index], amount, definition.Name);
        ExpireDue(now);
        var current = _usage[index];
        if (Status != TenantStatus.Active)
        {
            var reason = Status == TenantStatus.Suspended ? ReasonCodes.TenantSuspended : ReasonCodes.TenantDeleted;
            return new AdmissionDecision.Deny(reason, definition.Name, current, definition.Limit.Limit, null);
        }

        switch (SoftLimitRule.Evaluate(definition.Limit, current, amount, ref _overSinceTicks[index], now.UtcTicks))
        {
            case LimitVerdict.Admit:
                var lease = new Lease(LeaseIds.For(_tenant, NextSequence(now)), index, amount, now + ttl, key);
                Add(lease);
                return new AdmissionDecision.Allow(lease.Id, lease.ExpiresAt, SoftLimitRule.Remaining(definition.Limit, _usage[index]));
            case LimitVerdict.TooLarge:
                return new AdmissionDecision.Deny(ReasonCodes.RequestExceedsLimit, definition.Name, current, definition.Limit.Limit, null);
            case var refused:
                var reason = refused == LimitVerdict.BurstExpired ? ReasonCodes.SoftBurstExpired : ReasonCodes.QuotaExhausted;
                return new AdmissionDecision.Queue(reason, definition.Name, RetryAfter(refused, index, amount, now), current, definition.Limit.Limit);
        }
    }

    /// <summary>When a refused acquisition would be admitted as leases run out (see <see cref="SoftLimitRule.RetryAfter"/>).</summary>
    private TimeSpan RetryAfter(LimitVerdict verdict, int index, long amount, DateTimeOffset now)
    {
        var limit = _quotas[index].Limit;
        // A request larger than the limit never fits within it: only a new burst admits it.
        var fitsLimit = amount > limit.Limit ? SoftLimitRule.Never : UntilFits(index, amount, limit.Limit, now);
        return SoftLimitRule.RetryAfter(
            verdict, limit, _overSinceTicks[index], now.UtcTicks, UntilFits(index, amount, limit.Max, now), UntilFits(index, 0, limit.Limit, now), fitsLimit);
    }

    /// <summary>The idempotency key a live lease was acquired with; null when none or when the lease is not live.</summary>
    internal string? KeyOf(string leaseId) =>
        _leases is not null && _leases.TryGetValue(leaseId, out var lease) ? lease.IdempotencyKey : null;

    internal string? LiveLeaseIdForKey(string key) =>
        _liveKeys is not null && _liveKeys.TryGetValue(key, out var id) ? id : null;

    /// <summary>
    /// The next lease number: one more than the last, and at least the microseconds since the epoch. A number handed out
    /// but never stored (a crash or a failed write after an ancestor stored its hold under the lease id) is then not
    /// handed out again by a later activation, which starts from the stored number: the ancestor would take the new
    /// lease for the old one (a conflict, or a hold of the old one's time).
    /// </summary>
    private long NextSequence(DateTimeOffset now) =>
        LastSequence = Math.Max(LastSequence + 1, (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);

    internal void Restore(LeaseInfo lease, long lastSequence)
    {
        var index = IndexOf(lease.Quota);
        if (index < 0)
        {
            return;
        }

        Add(new Lease(lease.LeaseId, index, lease.Amount, lease.ExpiresAt, lease.IdempotencyKey));
        LastSequence = Math.Max(LastSequence, lastSequence);
    }

    internal void RestoreReleased(string key, LeaseInfo lease) => RememberReleased(key, lease); // a hold stored by an earlier release is let go

    internal void RestoreOverSince(string quota, long ticks)
    {
        var index = IndexOf(quota);
        if (index >= 0 && _quotas[index].Limit.Type == LimitType.Soft)
        {
            _overSinceTicks[index] = ticks;
        }
    }

    /// <summary>
    /// Lease ids go on after <paramref name="lastSequence"/>: a tenant created again under the id of a deleted one
    /// never hands out a lease id of that one (a pool may still release such an id for a job it ran then).
    /// </summary>
    public void RestoreSequence(long lastSequence) => LastSequence = Math.Max(LastSequence, lastSequence);

    internal int RequireQuota(string quota)
    {
        QuotaNames.Validate(quota);
        var index = IndexOf(quota);
        if (index < 0)
        {
            throw new QuotaValidationException(
                ValidationCodes.UnknownQuota,
                $"Gauge quota '{quota}' is not configured for this tenant: configure it first or use a well-known gauge name.");
        }

        return index;
    }

    private LeaseInfo? FindByKey(string key)
    {
        if (_liveKeys is not null && _liveKeys.TryGetValue(key, out var id))
        {
            return ToInfo(_leases![id]);
        }

        return _released is not null && _released.TryGet(key, out var released) ? released : null;
    }

    /// <summary>
    /// The time until enough of the quota's leases have run out, earliest first, for <paramref name="amount"/> more to
    /// fit under <paramref name="bound"/>: an honest retry-after, where the earliest expiry may free too little. When
    /// even every lease running out would not do (what is held is not all leases), the last expiry.
    /// </summary>
    private TimeSpan UntilFits(int index, long amount, long bound, DateTimeOffset now)
    {
        var excess = _usage[index] + amount - bound;
        if (excess <= 0)
        {
            return TimeSpan.Zero;
        }

        var at = now;
        foreach (var lease in (_leases?.Values ?? Enumerable.Empty<Lease>()).Where(l => l.QuotaIndex == index).OrderBy(l => l.ExpiresAt))
        {
            at = lease.ExpiresAt;
            excess -= lease.Amount;
            if (excess <= 0)
            {
                break;
            }
        }

        return at > now ? at - now : TimeSpan.Zero;
    }

    private void Add(Lease lease)
    {
        (_leases ??= new(StringComparer.Ordinal)).Add(lease.Id, lease);
        if (lease.IdempotencyKey is not null)
        {
            (_liveKeys ??= new(StringComparer.Ordinal))[lease.IdempotencyKey] = lease.Id;
        }

        _usage[lease.QuotaIndex] += lease.Amount;
        _earliestExpiryTicks = Math.Min(_earliestExpiryTicks, lease.ExpiresAt.UtcTicks);
    }

    private void Remove(Lease lease, bool rememberKey = true)
    {
        _leases!.Remove(lease.Id);
        var i = lease.QuotaIndex;
        _usage[i] -= lease.Amount;
        if (_usage[i] <= _quotas[i].Limit.Limit)
        {
            _overSinceTicks[i] = 0;
        }

        if (lease.IdempotencyKey is not null)
        {
            _liveKeys!.Remove(lease.IdempotencyKey);
            if (rememberKey)
            {
                RememberReleased(lease.IdempotencyKey, ToInfo(lease));
            }
        }
    }

    /// <summary>Remembers a released lease under its key, unless the key is a hold's (<see cref="HoldKeyPrefix"/>).</summary>
    private void RememberReleased(string key, LeaseInfo lease)
    {
        if (!key.StartsWith(HoldKeyPrefix, StringComparison.Ordinal))
        {
            (_released ??= new(RememberedReleases)).Add(key, lease);
        }
    }

    private LeaseInfo ToInfo(Lease lease) =>
        new(lease.Id, _quotas[lease.QuotaIndex].Name, lease.Amount, lease.ExpiresAt, lease.IdempotencyKey);
}
