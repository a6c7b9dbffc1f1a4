namespace Quotas.Core.Tenants;

/// <summary>Why a check answered Queue or Deny. Stable strings: clients and the gateway switch on them.</summary>
public static class ReasonCodes
{
    public const string TenantSuspended = "tenant_suspended";
    public const string TenantDeleted = "tenant_deleted";

    /// <summary>The gauge is full now but the request would fit once leases are released or expire.</summary>
    public const string QuotaExhausted = "quota_exhausted";

    /// <summary>The request alone is larger than the limit (or the soft ceiling): it can never be admitted.</summary>
    public const string RequestExceedsLimit = "request_exceeds_limit";

    /// <summary>A soft limit was above its limit for longer than its max burst duration: enforced like a hard limit now.</summary>
    public const string SoftBurstExpired = "soft_burst_expired";

    /// <summary>A renewal was refused because the soft limit's grace period after the burst has passed.</summary>
    public const string SoftGraceExpired = "soft_grace_expired";

    public const string RateLimited = "rate_limited";
    public const string BudgetExhausted = "budget_exhausted";
    public const string StorageQuotaExceeded = "storage_quota_exceeded";
    public const string LeaseNotFound = "lease_not_found";
}
