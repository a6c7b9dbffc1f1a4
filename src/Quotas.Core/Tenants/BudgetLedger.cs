namespace Quotas.Core.Tenants;

/// <summary>One tenant's budgets: cumulative usage per calendar period, reset exactly at the period boundary.</summary>
/// <remarks>
/// Usage is a fact, so <see cref="RecordUsage"/> always counts it (even over the limit or while suspended); <see cref="Check"/> is
/// the admission question. Event ids are remembered per tenant for the last <see cref="RememberedEventIds"/> distinct events
/// (about 100 KB at most): a duplicate older than that is counted again, so callers retry within that horizon.
/// </remarks>
public sealed class BudgetLedger
{
    public const int RememberedEventIds = 1024;

    private readonly QuotaDefinition[] _quotas;
    private readonly TimeZoneInfo _zone;
    private readonly long[] _consumed;
    private readonly long[] _startTicks;
    private readonly long[] _endTicks;
    private readonly long[] _overSinceTicks;
    private RecentKeys<bool>? _seen;

    public BudgetLedger(IReadOnlyList<QuotaDefinition> budgets, TimeZoneInfo zone)
    {
        _quotas = budgets.ToArray();
        _zone = zone;
        _consumed = new long[_quotas.Length];
        _startTicks = new long[_quotas.Length];
        _endTicks = new long[_quotas.Length];
        _overSinceTicks = new long[_quotas.Length];
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
        var current = _consumed[index];
        if (Status != TenantStatus.Active)
        {
            var reason = Status == TenantStatus.Suspended ? ReasonCodes.TenantSuspended : ReasonCodes.TenantDeleted;
            return new AdmissionDecision.Deny(reason, quota, current, definition.Limit.Limit, null);
        }

        var overSince = _overSinceTicks[index];
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
        Guard.Key(eventId, ValidationCodes.InvalidEventId, "event id");
        var index = RequireQuota(quota);
        Guard.Amount(amount, quota);
        _ = Guard.Add(_consumed[index], amount, quota);
        Roll(index, now);
        var duplicate = !(_seen ??= new(RememberedEventIds)).Add(eventId, true);
        if (!duplicate)
        {
            _consumed[index] += amount;
            var limit = _quotas[index].Limit;
            if (!limit.IsUnlimited && _consumed[index] > limit.Limit && _overSinceTicks[index] == 0)
            {
                _overSinceTicks[index] = now.UtcTicks;
            }
        }

        return Describe(index, duplicate);
    }

    public long Consumed(int index, DateTimeOffset now)
    {
        Roll(index, now);
        return _consumed[index];
    }

    public DateTimeOffset PeriodEnd(int index) => new(_endTicks[index], TimeSpan.Zero);

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
            _consumed[index],
            limit.Limit,
            !limit.IsUnlimited && _consumed[index] > limit.Limit,
            new DateTimeOffset(_startTicks[index], TimeSpan.Zero),
            PeriodEnd(index));
    }

    internal bool Started(int index) => _endTicks[index] != 0;

    internal IEnumerable<string> SeenEventIds() => _seen?.InOrder().Select(p => p.Key) ?? [];

    internal long OverSinceTicks(int index) => _overSinceTicks[index];

    internal void Restore(string quota, DateTimeOffset start, DateTimeOffset end, long consumed, long overSinceTicks)
    {
        var index = IndexOf(quota);
        if (index >= 0)
        {
            _startTicks[index] = start.UtcTicks;
            _endTicks[index] = end.UtcTicks;
            _consumed[index] = consumed;
            _overSinceTicks[index] = overSinceTicks;
        }
    }

    internal void RestoreSeen(string eventId) => (_seen ??= new(RememberedEventIds)).Add(eventId, true);

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

    private void Roll(int index, DateTimeOffset now)
    {
        if (now.UtcTicks < _endTicks[index] && now.UtcTicks >= _startTicks[index])
        {
            return;
        }

        var (start, end) = BudgetCalendar.PeriodOf(now, _quotas[index].Period, _zone);
        if (start.UtcTicks == _startTicks[index])
        {
            return;
        }

        _startTicks[index] = start.UtcTicks;
        _endTicks[index] = end.UtcTicks;
        _consumed[index] = 0;
        _overSinceTicks[index] = 0;
    }
}
