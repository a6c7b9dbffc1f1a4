using Quotas.Core.Billing;

namespace Quotas.Core.Tenants;

/// <summary>Everything one tenant's grain holds: gauges under leases, rate windows, budgets, reported gauges, alerts and
/// violation counts, answering every check from memory. Not thread-safe: the grain's turns serialize calls.</summary>
/// <remarks>Every public method validates all input first and throws <see cref="QuotaValidationException"/> without changing
/// state. Calls taking <c>now</c> also expire due leases first, which is time passing rather than a change by the caller.</remarks>
public sealed partial class TenantQuotas
{
    private const string ChildKeyPrefix = LeaseBook.HoldKeyPrefix;

    /// <summary>
    /// The start of the keys under which a pool takes a tenant's leases for a job ("job/{pool}/{job}/...") and the ids
    /// under which it charges the job's usage; a client may use neither (the gateway refuses them).
    /// </summary>
    public const string PoolJobKeyPrefix = "job/";

    private readonly IReadOnlyList<QuotaDefinition>? _parentQuotas;
    private readonly UtilizationAlerts _alerts;
    private readonly ViolationCounter _violations = new();

    /// <summary>Null until a child delivers or ends: most tenants have no children.</summary>
    private ChildDeliveries? _childDeliveries;

    /// <summary>Null until usage is first recorded or a plan set: a tenant that only checks rates and leases keeps none.</summary>
    private Metering? _metering;

    /// <summary>Null until this tenant owes its parent usage: most tenants have no parent, or record no usage.</summary>
    private UsageOutbox? _outbox;

    /// <summary>Where the rate quotas' alert slots start (after the gauges'): read on every admitted rate check, so kept
    /// here rather than fetched through the gauge book.</summary>
    private readonly int _firstRateSlot;

    public TenantQuotas(TenantConfig config, IReadOnlyList<QuotaDefinition>? parentQuotas = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        _parentQuotas = parentQuotas;
        Effective = EffectiveQuotas.Merge(TierProfiles.For(config.Tier), config.Quotas, parentQuotas).ToArray();
        // What a rate check touches is made first (the rate book, then the alerts), so that it sits next to this object
        // in memory: over many tenants the check is bound by cache misses, and neighbours come in together.
        var gauges = EffectiveQuotas.OfKind(Effective, QuotaKind.Gauge);
        Rates = new RateBook(EffectiveQuotas.OfKind(Effective, QuotaKind.Rate));
        _firstRateSlot = gauges.Length;
        _alerts = new UtilizationAlerts(config.EffectiveAlertThresholds, Effective.Count);
        Gauges = new LeaseBook(config.Id, gauges);
        Budgets = new BudgetLedger(EffectiveQuotas.OfKind(Effective, QuotaKind.Budget), BudgetCalendar.FindZone(config.TimeZoneId));
        Reported = new ReportedGauges(EffectiveQuotas.OfKind(Effective, QuotaKind.ReportedGauge));
        SetStatus(config.Status);
    }

    public TenantConfig Config { get; private set; }

    public TenantId Id => Config.Id;

    public TenantStatus Status => Config.Status;

    /// <summary>The merged quotas in force (own, then inherited, then tier, then unlimited well-known names).</summary>
    public IReadOnlyList<QuotaDefinition> Effective { get; }

    /// <summary>The parent's effective quotas this tenant inherits from (null without a parent), as last read.</summary>
    public IReadOnlyList<QuotaDefinition>? ParentQuotas => _parentQuotas;

    public LeaseBook Gauges { get; }

    public RateBook Rates { get; }

    public BudgetLedger Budgets { get; }

    public ReportedGauges Reported { get; }

    /// <summary>Budget usage recorded here (or passed up from below) that the parent has not counted yet.</summary>
    public UsageOutbox Outbox => _outbox ??= new();

    /// <summary>Whether usage waits in the <see cref="Outbox"/>, asked without making one.</summary>
    public bool OwesParent => _outbox is { IsEmpty: false };

    /// <summary>The last delivery counted from each child's life (see <see cref="RecordChildUsage"/>).</summary>
    public ChildDeliveries ChildDeliveries => _childDeliveries ??= new();

    public AlertFeed Alerts => _alerts.Feed;

    /// <summary>The usage recorded here (not the children's) per meter, and the pricing plans; null while neither was.</summary>
    public Metering? Metering => _metering;

    /// <summary>Suspending keeps leases; every new check is denied with <c>tenant_suspended</c> until resumed.</summary>
    public void SetStatus(TenantStatus status)
    {
        if (!Enum.IsDefined(status))
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, $"Status '{status}' is unknown: use Active, Suspended or Deleted.");
        }

        Config = Config with { Status = status };
        Gauges.Status = status;
        Rates.Status = status;
        Budgets.Status = status;
        Reported.Status = status;
    }

    public AdmissionDecision Acquire(string quota, long amount, TimeSpan ttl, string? idempotencyKey, DateTimeOffset now)
    {
        var decision = Gauges.Acquire(quota, amount, ttl, idempotencyKey, now);
        AfterGauge(decision, quota, now);
        return decision;
    }

    /// <summary>Releases a lease; a second release (or an unknown id) returns false and changes nothing.</summary>
    public bool Release(string leaseId, DateTimeOffset now)
    {
        var released = Gauges.Release(leaseId);
        if (released)
        {
            ObserveAllGauges(now);
        }

        return released;
    }

    /// <summary>
    /// Takes back a lease whose acquire did not go through (see <see cref="LeaseBook.TakeBack"/>), with the alerts raised
    /// since <paramref name="alertsBefore"/> (the feed's <see cref="AlertFeed.LastSequence"/> before the acquire): an
    /// ancestor that refused left them behind for usage that never happened, one more at every retry.
    /// </summary>
    public bool TakeBack(string leaseId, DateTimeOffset now, long alertsBefore)
    {
        var taken = Gauges.TakeBack(leaseId);
        if (taken)
        {
            ObserveAllGauges(now);
        }

        Alerts.DropAfter(alertsBefore);
        return taken;
    }

    public LeaseRenewal Renew(string leaseId, TimeSpan ttl, DateTimeOffset now) => Gauges.Renew(leaseId, ttl, now);

    public int ExpireDue(DateTimeOffset now)
    {
        var expired = Gauges.ExpireDue(now);
        if (expired > 0)
        {
            ObserveAllGauges(now);
        }

        return expired;
    }

    public RateDecision CheckRate(string quota, long cost, DateTimeOffset now) => CountRate(quota, cost, now, alertNow: true);

    /// <summary>
    /// A hit its ancestors must still admit (the tenant has a parent): counted as <see cref="CheckRate"/> counts it, but
    /// without raising an alert, since an ancestor may yet refuse it. Then either <see cref="AdmittedAbove"/> or
    /// <see cref="TakeBackRate"/>.
    /// </summary>
    public RateDecision CountRatePendingAbove(string quota, long cost, DateTimeOffset now) => CountRate(quota, cost, now, alertNow: false);

    /// <summary>
    /// A descendant's hit (<c>ITenantGrain.HitRateForChild</c>): counted as <see cref="CountRatePendingAbove"/> counts
    /// one when this tenant sets a limited rate quota of that name itself; null when it does not, and caps nothing of
    /// that name for its subtree (a tier default or an inherited value limits each tenant's own hits only).
    /// </summary>
    public RateDecision? CountChildRate(string quota, long cost, DateTimeOffset now)
    {
        if (SetsRateCap(quota))
        {
            return CountRatePendingAbove(quota, cost, now);
        }

        QuotaNames.Validate(quota);
        Guard.Amount(cost, quota);
        return null;
    }

    /// <summary>The limited rate quotas this tenant sets itself: the ones it caps for its whole subtree.</summary>
    public IEnumerable<string> OwnRateCaps() =>
        Config.Quotas.Where(q => q.Kind == QuotaKind.Rate && !q.Limit.IsUnlimited).Select(q => q.Name);

    private bool SetsRateCap(string quota) => OwnRateCaps().Contains(quota, StringComparer.Ordinal);

    /// <summary>Every ancestor admitted the hit <see cref="CountRatePendingAbove"/> counted: its alert, if any, is raised now.</summary>
    public void AdmittedAbove(RateDecision decision, DateTimeOffset now)
    {
        var index = Rates.IndexOf(decision.Quota);
        if (index >= 0 && decision.Allowed)
        {
            ObserveRate(index, decision, now);
        }
    }

    /// <summary>
    /// Takes back the last hit this tenant counted of <paramref name="quota"/>, which an ancestor refused or could not
    /// be asked about (the grain's turn waits for the ancestors, so no other hit was counted in between). With
    /// <paramref name="violation"/> the refusal counts as this tenant's violation, as its caller was refused. A quota
    /// no longer in force has nothing to take back.
    /// </summary>
    public void TakeBackRate(string quota, long cost, DateTimeOffset now, bool violation)
    {
        var index = Rates.IndexOf(quota);
        if (index < 0)
        {
            return;
        }

        Rates.TakeBackLast(index, cost, now);
        if (violation)
        {
            _violations.Add(QuotaKind.Rate, Rates.Quotas[index].Name);
        }
    }

    private RateDecision CountRate(string quota, long cost, DateTimeOffset now, bool alertNow)
    {
        var index = Rates.RequireQuota(quota);
        Guard.Amount(cost, quota);
        var decision = Rates.CheckCore(index, cost, now);
        if (!decision.Allowed)
        {
            // The definition's own name: the same instance on every refusal, which the counter counts without hashing.
            _violations.Add(QuotaKind.Rate, decision.Quota);
        }
        else if (alertNow)
        {
            ObserveRate(index, decision, now);
        }

        return decision;
    }

    private void ObserveRate(int index, RateDecision decision, DateTimeOffset now)
    {
        if (decision.Limit > 0)
        {
            _alerts.Observe(_firstRateSlot + index, QuotaKind.Rate, decision.Quota, decision.Current, decision.Limit, now);
        }
    }

    public AdmissionDecision CheckBudget(string quota, long amount, DateTimeOffset now, bool countAsViolation = true)
    {
        var decision = Budgets.Check(quota, amount, now);
        if (!decision.IsAllowed && countAsViolation)
        {
            _violations.Add(QuotaKind.Budget, quota);
        }

        return decision;
    }

    /// <summary>
    /// Records usage once per event id; a tenant with a parent also puts it in its <see cref="Outbox"/>. Usage that
    /// says when it happened (<paramref name="occurredAt"/>, see <see cref="Metering.UsageTime"/>) rolls up at that time;
    /// the budgets count it now, as they decide what is admitted now.
    /// </summary>
    public UsageRecord RecordUsage(string eventId, string quota, long amount, DateTimeOffset now, DateTimeOffset? occurredAt = null)
    {
        // A retry of an event counted already is a duplicate even when its time could no longer be accepted.
        var at = occurredAt is { } happened && !Budgets.HasSeen(eventId) ? Metering.UsageTime(happened, now) : now;
        var record = Budgets.RecordUsage(eventId, quota, amount, now);
        if (!record.Duplicate)
        {
            (_metering ??= new()).Rollups.Add(quota, amount, at);
            ObserveBudget(Budgets.IndexOf(quota), record, amount, now);
            if (Config.ParentId is not null)
            {
                Outbox.Add(quota, amount, now);
            }
        }

        return record;
    }

    private void ObserveBudget(int index, UsageRecord record, long amount, DateTimeOffset now) =>
        _alerts.ObserveChange(QuotaKind.Budget, Budgets.Quotas[index].Name, record.Consumed - amount, record.Limit, record.Consumed, record.Limit, now);

    /// <summary>Forgets charges of pool jobs that their pool will not send again (see <see cref="BudgetLedger"/>).</summary>
    public int ForgetPoolCharges(IEnumerable<string> eventIds) => Budgets.ForgetPoolCharges(eventIds);

    public void ReportGauge(string quota, long value, DateTimeOffset now)
    {
        Reported.Report(quota, value, now);
        var index = Reported.Quotas.Select((q, i) => (q, i)).First(p => p.q.Name == quota).i;
        var definition = Reported.Quotas[index];
        _alerts.Observe(FirstReportedSlot + index, QuotaKind.ReportedGauge, definition.Name, value, definition.Limit.Limit, now);
    }

    public AdmissionDecision CheckReported(string quota, long additional, DateTimeOffset now)
    {
        var decision = Reported.Check(quota, additional, now);
        if (!decision.IsAllowed)
        {
            _violations.Add(QuotaKind.ReportedGauge, quota);
        }

        return decision;
    }

    /// <summary>Reserves <paramref name="amount"/> of a gauge on behalf of a descendant's lease, so the sum of the children's usage
    /// counts against this tenant's limit. Idempotent by <paramref name="childLeaseId"/>; the reservation is a lease of this tenant
    /// with the same TTL, so the grain renews and releases it along with the child's.</summary>
    public AdmissionDecision ReserveForChild(string childLeaseId, string quota, long amount, TimeSpan ttl, DateTimeOffset now)
    {
        Guard.Key(childLeaseId, ValidationCodes.InvalidLeaseId, "child lease id");
        var index = Gauges.RequireQuota(quota);
        Guard.Amount(amount, quota);
        Guard.Ttl(ttl);
        var decision = Gauges.AcquireCore(index, amount, ttl, ChildKeyPrefix + childLeaseId, now);
        AfterGauge(decision, quota, now);
        return decision;
    }

    /// <summary>
    /// The descendant's lease a hold of this tenant stands for, under the key it was reserved with in every ancestor;
    /// null for a lease of the tenant's own (a client's, or a pool's for a running job).
    /// </summary>
    public string? ChildLeaseOf(string leaseId) =>
        Gauges.KeyOf(leaseId) is { } key && key.StartsWith(ChildKeyPrefix, StringComparison.Ordinal) ? key[ChildKeyPrefix.Length..] : null;

    /// <summary>The lease of this tenant that holds the reservation for <paramref name="childLeaseId"/>, if live.</summary>
    public string? ReservationFor(string childLeaseId)
    {
        Guard.Key(childLeaseId, ValidationCodes.InvalidLeaseId, "child lease id");
        return Gauges.LiveLeaseIdForKey(ChildKeyPrefix + childLeaseId);
    }

    /// <summary>The lease <paramref name="leaseId"/> names if it is live at <paramref name="now"/>; null otherwise.</summary>
    public HeldLease? HeldLease(string leaseId, DateTimeOffset now) =>
        Gauges.IsLive(leaseId, now) && Gauges.Describe(leaseId) is { } lease ? Held(lease) : null;

    /// <summary>
    /// Leases live at <paramref name="now"/>, in ordinal order of their ids, after <paramref name="afterLeaseId"/> (null:
    /// from the first), at most <paramref name="limit"/>.
    /// </summary>
    public IReadOnlyList<HeldLease> HeldLeases(string? afterLeaseId, int limit, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Gauges.Leases()
            .Where(lease => lease.ExpiresAt > now && (afterLeaseId is null || string.CompareOrdinal(lease.LeaseId, afterLeaseId) > 0))
            .Take(limit)
            .Select(Held)
            .ToList();
    }

    private HeldLease Held(LeaseInfo lease) => new(lease.LeaseId, lease.Quota, lease.Amount, lease.ExpiresAt, IsHeldForService(lease.LeaseId));

    /// <summary>
    /// Whether a live lease is held by the service rather than a client: a pool's lease for a running job, or this
    /// tenant's reservation for a child's lease. Such a lease ends with what it stands for, never by a client's release.
    /// </summary>
    public bool IsHeldForService(string leaseId) =>
        Gauges.KeyOf(leaseId) is { } key && (key.StartsWith(ChildKeyPrefix, StringComparison.Ordinal) || key.StartsWith(PoolJobKeyPrefix, StringComparison.Ordinal));

    /// <summary>Undoes <see cref="ReserveForChild"/> (the child's lease ended or a farther ancestor refused). Idempotent.</summary>
    public bool RollbackChildReservation(string childLeaseId, DateTimeOffset now) =>
        ReservationFor(childLeaseId) is { } leaseId && Release(leaseId, now);

    /// <summary>
    /// Takes back a reservation for a child's lease that an ancestor above refused, with the alerts raised since
    /// <paramref name="alertsBefore"/> (see <see cref="TakeBack"/>).
    /// </summary>
    public bool RollbackChildReservation(string childLeaseId, DateTimeOffset now, long alertsBefore)
    {
        var rolledBack = RollbackChildReservation(childLeaseId, now);
        Alerts.DropAfter(alertsBefore);
        return rolledBack;
    }

    /// <summary>
    /// Sets the pricing plan (null: none) for the current month on; a closed month keeps the plan it had. Refuses a plan
    /// that newly prices a meter this tenant has no budget of: only usage recorded against a budget is metered, so the
    /// line would bill nothing. A meter the plan in force prices already stays allowed, so that a budget taken out
    /// during a month does not keep the plan from changing, nor force its price (and that month's charge) out.
    /// </summary>
    public void SetPricingPlan(PricingPlan? plan, DateTimeOffset now)
    {
        plan?.Validate();
        var priced = _metering?.Plans.Current?.Prices.Select(p => p.Meter).ToHashSet(StringComparer.Ordinal);
        foreach (var price in plan?.Prices ?? [])
        {
            if (Budgets.IndexOf(price.Meter) < 0 && priced?.Contains(price.Meter) != true)
            {
                throw new QuotaValidationException(
                    ValidationCodes.InvalidPricingPlan,
                    $"The pricing plan prices meter '{price.Meter}', which is not a budget of tenant '{Id}': only usage recorded against a budget is metered. Add a budget named '{price.Meter}' (limit -1 counts without limiting) first, or leave the meter out.");
            }
        }

        (_metering ??= new()).Plans.Set(plan, now);
    }

    public TenantStats Stats(DateTimeOffset now)
    {
        ExpireDue(now);
        var gauges = Gauges.Quotas.Select((q, i) => Usage(QuotaKind.Gauge, q, Gauges.UsageAt(i), q.Limit.Limit, null)).ToList();
        var rates = Rates.Quotas.Select((q, i) => RateUsage(q, i, now)).ToList();
        var budgets = Budgets.Quotas.Select((q, i) => Usage(QuotaKind.Budget, q, Budgets.Consumed(i, now), q.Limit.Limit, Budgets.PeriodEnd(i))).ToList();
        var reported = Reported.Quotas.Select((q, i) => Usage(QuotaKind.ReportedGauge, q, Reported.ValueAt(i), q.Limit.Limit, null)).ToList();
        return new TenantStats(Id, Status, now, gauges, rates, budgets, reported, Gauges.LeaseCount, Rates.PeakRequestsPerMinute(now), _violations.Total);
    }

    /// <summary>A rate quota's usage; it resets when the window next frees units (the RateLimit header's <c>t</c> from
    /// now), null when the quota is unlimited or counts nothing.</summary>
    private QuotaUsage RateUsage(QuotaDefinition quota, int index, DateTimeOffset now)
    {
        var current = Rates.Current(index, now);
        var limit = Rates.LimitOf(index);
        return Usage(QuotaKind.Rate, quota, current, limit, limit < 0 || current == 0 ? null : Later(now, Rates.ResetAfter(index, now)));
    }

    /// <summary><paramref name="now"/> plus <paramref name="wait"/>, or the last representable time when that is later
    /// (a slow bucket with a large burst can take longer to fill than the calendar goes).</summary>
    private static DateTimeOffset Later(DateTimeOffset now, TimeSpan wait) =>
        wait > DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + wait;

    private QuotaUsage Usage(QuotaKind kind, QuotaDefinition quota, long current, long limit, DateTimeOffset? resetsAt) => new(
        quota.Name,
        current,
        limit,
        limit > 0 ? Math.Round(current * 100.0 / limit, 2) : limit == 0 ? 100.0 : null,
        _violations.Of(kind, quota.Name),
        resetsAt);

    private void AfterGauge(AdmissionDecision decision, string quota, DateTimeOffset now)
    {
        if (decision.IsAllowed)
        {
            ObserveAllGauges(now);
        }
        else
        {
            _violations.Add(QuotaKind.Gauge, quota);
        }
    }

    /// <summary>The alert slots: gauges from 0, then rates (<see cref="_firstRateSlot"/>), budgets, and reported gauges from here.</summary>
    private int FirstReportedSlot => _firstRateSlot + Rates.Quotas.Count + Budgets.Quotas.Count;

    private void ObserveAllGauges(DateTimeOffset now)
    {
        for (var i = 0; i < Gauges.Quotas.Count; i++)
        {
            var quota = Gauges.Quotas[i];
            _alerts.Observe(i, QuotaKind.Gauge, quota.Name, Gauges.UsageAt(i), quota.Limit.Limit, now);
        }
    }
}
