namespace Quotas.Core.Tenants;

/// <summary>Gauges the client reports as absolute values (storage bytes), each with its own limit. The gateway answers 507 on
/// <c>storage_quota_exceeded</c>.</summary>
public sealed class ReportedGauges
{
    private readonly QuotaDefinition[] _quotas;
    private readonly long[] _values;

    /// <summary>UTC ticks since when a value above its soft limit has been reported; 0 while it is not above.</summary>
    private readonly long[] _overSinceTicks;

    public ReportedGauges(IReadOnlyList<QuotaDefinition> reported)
    {
        _quotas = reported.ToArray();
        _values = new long[_quotas.Length];
        _overSinceTicks = new long[_quotas.Length];
    }

    public TenantStatus Status { get; set; }

    public IReadOnlyList<QuotaDefinition> Quotas => _quotas;

    /// <summary>
    /// Sets the reported value (0 or more); reporting is a fact and is accepted whatever the status. A value above a
    /// soft limit starts its burst at <paramref name="now"/> (unless one runs); one within the limit ends it.
    /// </summary>
    public void Report(string quota, long value, DateTimeOffset now)
    {
        var index = RequireQuota(quota);
        if (value is < 0 or > QuotaLimit.MaxValue)
        {
            throw new QuotaValidationException(ValidationCodes.InvalidAmount, $"Reported value {value} for '{quota}' is invalid: use 0 to {QuotaLimit.MaxValue}.");
        }

        _values[index] = value;
        UpdateOverSince(index, now);
    }

    /// <summary>
    /// Would <paramref name="additional"/> more fit under the limit? A soft limit lets it up to its ceiling, for the
    /// limit's burst from the first report above the limit; after that, only what stays within the limit.
    /// </summary>
    public AdmissionDecision Check(string quota, long additional, DateTimeOffset now)
    {
        var index = RequireQuota(quota);
        Guard.Amount(additional, quota);
        var limit = _quotas[index].Limit;
        var current = _values[index];
        if (Status != TenantStatus.Active)
        {
            var reason = Status == TenantStatus.Suspended ? ReasonCodes.TenantSuspended : ReasonCodes.TenantDeleted;
            return new AdmissionDecision.Deny(reason, quota, current, limit.Limit, null);
        }

        var overSince = _overSinceTicks[index]; // a check takes nothing, so it starts no burst
        return SoftLimitRule.Evaluate(limit, current, additional, ref overSince, now.UtcTicks) == LimitVerdict.Admit
            ? new AdmissionDecision.Allow(null, null, SoftLimitRule.Remaining(limit, current + additional))
            : new AdmissionDecision.Deny(ReasonCodes.StorageQuotaExceeded, quota, current, limit.Limit, null);
    }

    public long ValueAt(int index) => _values[index];

    internal long OverSinceTicks(int index) => _overSinceTicks[index];

    /// <summary>Since when the value is above a soft limit: from <paramref name="now"/> when it was not, not at all when it is within it.</summary>
    internal void UpdateOverSince(int index, DateTimeOffset now) =>
        _overSinceTicks[index] = SoftLimitRule.OverSinceUnder(_quotas[index].Limit, _values[index], _overSinceTicks[index], now.UtcTicks);

    internal void RestoreOverSince(string quota, long ticks)
    {
        for (var i = 0; i < _quotas.Length; i++)
        {
            if (_quotas[i].Name == quota && _quotas[i].Limit.Type == LimitType.Soft)
            {
                _overSinceTicks[i] = ticks;
            }
        }
    }

    internal void Restore(string quota, long value)
    {
        for (var i = 0; i < _quotas.Length; i++)
        {
            if (_quotas[i].Name == quota)
            {
                _values[i] = value;
            }
        }
    }

    private int RequireQuota(string quota)
    {
        QuotaNames.Validate(quota);
        for (var i = 0; i < _quotas.Length; i++)
        {
            if (string.Equals(_quotas[i].Name, quota, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new QuotaValidationException(ValidationCodes.UnknownQuota, $"Reported gauge '{quota}' is not configured for this tenant: configure it first.");
    }
}
