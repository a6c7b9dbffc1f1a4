namespace Quotas.Core.Tenants;

/// <summary>One tenant's budgets: cumulative usage per calendar period, reset exactly at the period boundary.</summary>
/// <remarks>
/// Usage is a fact, so <see cref="RecordUsage"/> always counts it (even over the limit or while suspended); <see cref="Check"/> is
/// the admission question. Callers' event ids are remembered per tenant for the last <see cref="RememberedEventIds"/> distinct
/// events (about 100 KB at most): a duplicate older than that is counted again, so callers retry within that horizon (the
/// gateway keeps an event id, or an Idempotency-Key, for a day). The charges of pool jobs (event ids starting with
/// <see cref="TenantQuotas.PoolJobKeyPrefix"/>) are also remembered apart, until their pool says it will not send them
/// again (<see cref="ForgetPoolCharges"/>), at most <see cref="RememberedPoolCharges"/>: however many events the tenant's
/// callers record meanwhile, a pool that retries a charge after a crash counts it once.
/// </remarks>
public sealed class BudgetLedger
{
    public const int RememberedEventIds = 1024;

    /// <summary>
    /// Pool charges remembered at most. A pool acknowledges its charges within seconds, so in use this holds the
    /// charges of the last seconds; the bound is for what pools that stopped before acknowledging (or an older version,
    /// which does not) leave behind, and keeps the tenant's stored state small (the whole state is written per change).
    /// </summary>
    public const int RememberedPoolCharges = 8192;

    private readonly QuotaDefinition[] _quotas;
    private readonly TimeZoneInfo _zone;
    private BudgetState[]? _state;
    private RecentKeys<RecordedEvent?>? _seen;
    private RecentKeys<bool>? _poolCharges;

    public BudgetLedger(IReadOnlyList<QuotaDefinition> budgets, TimeZoneInfo zone)
    {
        _quotas = budgets.ToArray();
        _zone = zone;
    }

    public TenantStatus Status { get; set; }

    public IReadOnlyList<QuotaDefinition> Quotas => _quotas;

    /// <summary>Would <paramref name="amount"/> more fit in the current period? Consumes nothing.</summary>
    public AdmissionDecision Check(string quota, long amount, DateTimeOffset now)
    {
        var index = RequireQuota(quota);
        Guard.Amount(amount, quota);
        Roll(index, now);
        var definition = _quotas[index];
        var current = S(index).Consumed;
        if (Status != TenantStatus.Active)
        {
            var reason = Status == TenantStatus.Suspended ? ReasonCodes.TenantSuspended : ReasonCodes.TenantDeleted;
            return new AdmissionDecision.Deny(reason, quota, current, definition.Limit.Limit, null);
        }

        var overSince = S(index).OverSinceTicks;
        return SoftLimitRule.Evaluate(definition.Limit, current, amount, ref overSince, now.UtcTicks) switch
        {
            LimitVerdict.Admit => new AdmissionDecision.Allow(null, null, SoftLimitRule.Remaining(definition.Limit, current + amount)),
            LimitVerdict.TooLarge => new AdmissionDecision.Deny(ReasonCodes.RequestExceedsLimit, quota, current, definition.Limit.Limit, null),
            _ => new AdmissionDecision.Deny(ReasonCodes.BudgetExhausted, quota, current, definition.Limit.Limit, PeriodEnd(index) - now),
        };
    }

    /// <summary>Counts <paramref name="amount"/> in the period holding <paramref name="now"/>, once per <paramref name="eventId"/>.</summary>
    public UsageRecord RecordUsage(string eventId, string quota, long amount, DateTimeOffset now)
    {
        ValidateEventId(eventId);
        var index = RequireQuota(quota);
        Guard.Amount(amount, quota);

        // Rolled first: the amount counts in the period holding now, which may have started from zero.
        Roll(index, now);
        _ = Guard.Add(S(index).Consumed, amount, quota);
        // A pool charge is remembered apart only, so that pools' charges never push a caller's event out of its window;
        // one stored by an earlier release may be among the callers' ids still.
        var seen = _seen ??= new(RememberedEventIds);
        var duplicate = IsPoolCharge(eventId)
            ? !(_poolCharges ??= new(RememberedPoolCharges)).Add(eventId, true) | seen.Contains(eventId)
            : !seen.Add(eventId, new RecordedEvent(_quotas[index].Name, amount));
        if (duplicate && seen.TryGet(eventId, out var recorded) && recorded is { } first && (first.Quota != _quotas[index].Name || first.Amount != amount))
        {
            // Answered as a duplicate, the new usage would be dropped unsaid: a corrected amount, or another budget's.
            throw new QuotaValidationException(
                ValidationCodes.IdempotencyKeyConflict,
                $"Event id '{eventId}' was recorded as {first.Amount} of '{first.Quota}': use a new event id for different usage.");
        }

        if (!duplicate)
        {
            Count(index, amount, now);
        }

        return Describe(index, duplicate);
    }

    /// <summary>
    /// Counts usage a descendant recorded in <paramref name="slot"/> (see <see cref="QuotaAmount"/>), which its delivery
    /// has already made unique (see <see cref="UsageOutbox"/>). Usage of a period that has ended here (it arrived late,
    /// its parent having been out of reach across the boundary) is not counted, since only the current period is kept;
    /// returns null then. The sum of many descendants stops at <see cref="long.MaxValue"/>.
    /// </summary>
    public UsageRecord? CountForDescendant(int index, long amount, DateTimeOffset slot, DateTimeOffset now)
    {
        Roll(index, now);
        if (slot.UtcTicks < S(index).StartTicks)
        {
            return null;
        }

        Count(index, amount, now);
        return Describe(index, duplicate: false);
    }

    private void Count(int index, long amount, DateTimeOffset now)
    {
        ref var state = ref S(index);
        state.Consumed = Saturating.Add(state.Consumed, amount);
        UpdateOverSince(index, now);
    }

    /// <summary>
    /// Notes since when the budget is over its limit: from <paramref name="now"/> (its burst starts) when it was not,
    /// and not at all when it is back within its limit (a limit raised since; see <see cref="SoftLimitRule.OverSinceUnder"/>).
    /// </summary>
    private void UpdateOverSince(int index, DateTimeOffset now)
    {
        ref var state = ref S(index);
        state.OverSinceTicks = SoftLimitRule.OverSinceUnder(_quotas[index].Limit, state.Consumed, state.OverSinceTicks, now.UtcTicks);
    }

    public long Consumed(int index, DateTimeOffset now)
    {
        Roll(index, now);
        return S(index).Consumed;
    }

    /// <summary>
    /// The consumption of the period holding <paramref name="now"/>, after a change of the budget's limit: past a
    /// limit lowered below it, the budget is over from <paramref name="now"/>, as it would be from the record that went
    /// past it; within a limit raised above it, it is over no longer.
    /// </summary>
    internal long ConsumedUnderChangedLimit(int index, DateTimeOffset now)
    {
        var consumed = Consumed(index, now);
        UpdateOverSince(index, now);
        return consumed;
    }

    public DateTimeOffset PeriodEnd(int index) => new(S(index).EndTicks, TimeSpan.Zero);

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

    internal UsageRecord Describe(int index, bool duplicate)
    {
        var limit = _quotas[index].Limit;
        return new UsageRecord(
            duplicate,
            _quotas[index].Name,
            S(index).Consumed,
            limit.Limit,
            !limit.IsUnlimited && S(index).Consumed > limit.Limit,
            new DateTimeOffset(S(index).StartTicks, TimeSpan.Zero),
            PeriodEnd(index));
    }

    internal bool Started(int index) => _state is not null && _state[index].EndTicks != 0;

    /// <summary>Refuses an event id <see cref="RecordUsage"/> would refuse, for callers that check before they record.</summary>
    public static void ValidateEventId(string? eventId) => Guard.Key(eventId, ValidationCodes.InvalidEventId, "event id");

    /// <summary>
    /// Forgets pool charges their pool has stored as paid, so it will never send them again; returns how many were held.
    /// A charge forgotten and then sent anyway would count again.
    /// </summary>
    public int ForgetPoolCharges(IEnumerable<string> eventIds)
    {
        var forgotten = 0;
        foreach (var eventId in eventIds)
        {
            _seen?.Remove(eventId);
            forgotten += _poolCharges?.Remove(eventId) == true ? 1 : 0;
        }

        return forgotten;
    }

    /// <summary>Whether an event of this id was counted already (a retry is answered as a duplicate, whatever it says).</summary>
    public bool HasSeen(string eventId) => _seen?.Contains(eventId) == true || _poolCharges?.Contains(eventId) == true;

    /// <summary>
    /// The pool charges not yet forgotten, then the callers' event ids, each oldest first (see <see cref="RestoreSeen"/>):
    /// a silo of a release that reads only this list keeps its last 1,024 entries, so it keeps every caller's event this
    /// tenant remembers, and the newest charges that fit before them.
    /// </summary>
    internal IEnumerable<string> SeenEventIds() => PoolChargeIds().Concat(_seen?.InOrder().Select(p => p.Key) ?? []);

    /// <summary>
    /// What each caller's event id was recorded as, in the order of the callers' ids at the end of
    /// <see cref="SeenEventIds"/>; null for an id restored from a row that did not say.
    /// </summary>
    internal IEnumerable<RecordedEvent?> SeenEventRecords() => _seen?.InOrder().Select(p => p.Value) ?? [];

    internal IEnumerable<string> PoolChargeIds() => _poolCharges?.InOrder().Select(p => p.Key) ?? [];

    private static bool IsPoolCharge(string eventId) => eventId.StartsWith(TenantQuotas.PoolJobKeyPrefix, StringComparison.Ordinal);

    internal long OverSinceTicks(int index) => S(index).OverSinceTicks;

    internal void Restore(string quota, DateTimeOffset start, DateTimeOffset end, long consumed, long overSinceTicks)
    {
        var index = IndexOf(quota);
        if (index >= 0)
        {
            ref var state = ref S(index);
            state.StartTicks = start.UtcTicks;
            state.EndTicks = end.UtcTicks;
            state.Consumed = consumed;
            state.OverSinceTicks = _quotas[index].Limit.Type == LimitType.Soft ? overSinceTicks : 0;

            // Bounds that are not a period of the budget as now defined were counted under another period or time
            // zone (the quota was changed since): the next use moves the count onto the period as now defined.
            var (periodStart, periodEnd) = BudgetCalendar.PeriodOf(start, _quotas[index].Period, _zone);
            state.Redefined = periodStart.UtcTicks != start.UtcTicks || periodEnd.UtcTicks != end.UtcTicks;
        }
    }

    /// <summary>Restores an id of the stored list of events; the pool charges in it (see <see cref="SeenEventIds"/>) are remembered apart.</summary>
    internal void RestoreSeen(string eventId, RecordedEvent? recorded)
    {
        if (IsPoolCharge(eventId))
        {
            RestorePoolCharge(eventId);
        }
        else
        {
            (_seen ??= new(RememberedEventIds)).Add(eventId, recorded);
        }
    }

    internal void RestorePoolCharge(string eventId) => (_poolCharges ??= new(RememberedPoolCharges)).Add(eventId, true);

    internal int RequireQuota(string quota)
    {
        QuotaNames.Validate(quota);
        var index = IndexOf(quota);
        if (index < 0)
        {
            throw new QuotaValidationException(
                ValidationCodes.UnknownQuota,
                $"Budget '{quota}' is not configured for this tenant: configure it first or use a well-known budget name.");
        }

        return index;
    }

    private ref BudgetState S(int index) => ref (_state ??= new BudgetState[_quotas.Length])[index];

    /// <summary>
    /// Moves the budget to the period holding <paramref name="now"/> once its current one has ended. Only forward: a
    /// time before the current period (a silo whose clock lags the one that counted, or a clock stepped back) counts in
    /// the current period, since going back would start an earlier period afresh and lose what this one counted.
    /// </summary>
    private void Roll(int index, DateTimeOffset now)
    {
        ref var state = ref S(index);
        if (state.Redefined)
        {
            MoveToRedefinedPeriod(ref state, index, now);
            return;
        }

        if (now.UtcTicks < state.EndTicks)
        {
            return;
        }

        var (start, end) = BudgetCalendar.PeriodOf(now, _quotas[index].Period, _zone);
        state.StartTicks = start.UtcTicks;
        state.EndTicks = end.UtcTicks;
        state.Consumed = 0;
        state.OverSinceTicks = 0;
    }

    /// <summary>
    /// After the budget's period or time zone changed: what was counted in the old period still counts in the new
    /// period holding <paramref name="now"/> when the two overlap (a day's usage stays in the month that now holds
    /// it; a month's usage so far stays in today's day, as no part of it can be told apart), and nothing otherwise.
    /// An old period that has ended counts on only when it lies wholly in the new one (yesterday in this month): one
    /// that reaches outside it is a closed period, which the old definition would have started afresh as well, and a
    /// closed month's usage carried into this week refused the tenant for a week over a month already over.
    /// </summary>
    private void MoveToRedefinedPeriod(ref BudgetState state, int index, DateTimeOffset now)
    {
        var (start, end) = BudgetCalendar.PeriodOf(now, _quotas[index].Period, _zone);
        var overlaps = state.EndTicks > start.UtcTicks && state.StartTicks < end.UtcTicks;
        var endedOutside = state.EndTicks <= now.UtcTicks && (state.StartTicks < start.UtcTicks || state.EndTicks > end.UtcTicks);
        if (!overlaps || endedOutside)
        {
            state.Consumed = 0;
            state.OverSinceTicks = 0;
        }

        state.StartTicks = start.UtcTicks;
        state.EndTicks = end.UtcTicks;
        state.Redefined = false;
    }
}

/// <summary>Per-budget state, allocated for all budgets of a tenant on first use.</summary>
internal struct BudgetState
{
    public long Consumed;
    public long StartTicks;
    public long EndTicks;
    public long OverSinceTicks;

    /// <summary>True while the bounds are those of the budget's period before its definition changed.</summary>
    public bool Redefined;
}

/// <summary>What a caller's usage event was recorded as: a resend must say the same to be answered as its duplicate.</summary>
public sealed record RecordedEvent(string Quota, long Amount);
