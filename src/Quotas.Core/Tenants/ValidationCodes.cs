namespace Quotas.Core.Tenants;

/// <summary>Stable codes carried by <see cref="QuotaValidationException"/>; the gateway maps them to problem-details types.</summary>
public static class ValidationCodes
{
    public const string Invalid = "invalid_request";
    public const string InvalidTenantId = "invalid_tenant_id";
    public const string InvalidQuotaName = "invalid_quota_name";
    public const string UnknownQuota = "unknown_quota";
    public const string DuplicateQuota = "duplicate_quota";
    public const string InvalidAmount = "invalid_amount";
    public const string AmountOverflow = "amount_overflow";
    public const string InvalidLimit = "invalid_limit";
    public const string InvalidTtl = "invalid_ttl";
    public const string InvalidWindow = "invalid_window";
    public const string InvalidBucketCount = "invalid_bucket_count";
    public const string InvalidLeaseId = "invalid_lease_id";
    public const string InvalidIdempotencyKey = "invalid_idempotency_key";
    public const string IdempotencyKeyConflict = "idempotency_key_conflict";
    public const string InvalidEventId = "invalid_event_id";
    public const string InvalidThreshold = "invalid_threshold";
    public const string InvalidTimeZone = "invalid_time_zone";
    public const string HierarchyCycle = "hierarchy_cycle";
    public const string HierarchyTooDeep = "hierarchy_too_deep";
    public const string InvalidSnapshot = "invalid_snapshot";
    public const string InvalidPricingPlan = "invalid_pricing_plan";
    public const string InvalidPeriod = "invalid_period";
    public const string DeletedBeforePeriod = "deleted_before_period";
    public const string InvalidOccurredAt = "invalid_occurred_at";
}
