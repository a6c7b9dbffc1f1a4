namespace Quotas.Core.Tenants;

/// <summary>Gauges the client reports as absolute values (storage bytes), each with its own limit. The gateway answers 507 on
/// <c>storage_quota_exceeded</c>.</summary>
public sealed class ReportedGauges
{
    private readonly QuotaDefinition[] _quotas;
    private readonly long[] _values;

    public ReportedGauges(IReadOnlyList<QuotaDefinition> reported)
    {
        _quotas = reported.ToArray();
        _values = new long[_quotas.Length];
    }

    public TenantStatus Status { get; set; }

    public IReadOnlyList<QuotaDefinition> Quotas => _quotas;

    /// <summary>Sets the reported value (0 or more); reporting is a fact and is accepted whatever the status.</summary>
    public void Report(string quota, long value)
    {
        var index = RequireQuota(quota);
        if (value is < 0 or > QuotaLimit.MaxValue)
        {
            throw new QuotaValidationException(ValidationCodes.InvalidAmount, $"Reported value {value} for '{quota}' is invalid: use 0 to {QuotaLimit.MaxValue}.");
        }

        _values[index] = value;
    }

    /// <summary>Would <paramref name="additional"/> more fit under the limit (the soft ceiling for soft limits)?</summary>
    public AdmissionDecision Check(string quota, long additional)
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

        return limit.IsUnlimited || current + additional <= limit.Max
            ? new AdmissionDecision.Allow(null, null, SoftLimitRule.Remaining(limit, current + additional))
            : new AdmissionDecision.Deny(ReasonCodes.StorageQuotaExceeded, quota, current, limit.Limit, null);
    }

    public long ValueAt(int index) => _values[index];

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
