namespace Quotas.Client;

public enum Tier
{
    /// <summary>A value this SDK does not know, sent by a newer server; never sent.</summary>
    Unknown = -1,

    Basic,
    Premium,
    Enterprise,
    Unlimited,
}

public enum TenantStatus
{
    /// <summary>A value this SDK does not know, sent by a newer server; never sent.</summary>
    Unknown = -1,

    Active,
    Suspended,
    Deleted,
}

public enum QuotaKind
{
    /// <summary>A value this SDK does not know, sent by a newer server; never sent.</summary>
    Unknown = -1,

    Gauge,
    Rate,
    Budget,
    ReportedGauge,
}

public enum LimitType
{
    /// <summary>A value this SDK does not know, sent by a newer server; never sent.</summary>
    Unknown = -1,

    Hard,
    Soft,
    Unlimited,
}

public enum RateAlgorithm
{
    /// <summary>A value this SDK does not know, sent by a newer server; never sent.</summary>
    Unknown = -1,

    SlidingWindow,
    TokenBucket,
}

public enum BudgetPeriod
{
    /// <summary>A value this SDK does not know, sent by a newer server; never sent.</summary>
    Unknown = -1,

    Day,
    Week,
    Month,
}

/// <summary>
/// A quota as the API writes it: durations in seconds, <see cref="Limit"/> -1 for unlimited. Set only the fields of its
/// kind: <c>WindowSeconds</c> (and <c>Buckets</c> or <c>Burst</c>) for rates, <c>Period</c> for budgets.
/// </summary>
public sealed record QuotaSpec(
    string Name,
    QuotaKind Kind,
    long Limit,
    LimitType LimitType = LimitType.Hard,
    long? Ceiling = null,
    double? MaxBurstSeconds = null,
    double? GraceSeconds = null,
    RateAlgorithm? Algorithm = null,
    double? WindowSeconds = null,
    int? Buckets = null,
    long? Burst = null,
    BudgetPeriod? Period = null);

/// <summary>A new tenant: its tier's quotas apply, <see cref="Quotas"/> override them by name.</summary>
public sealed record NewTenant(
    string Id,
    string? Name = null,
    Tier Tier = Tier.Basic,
    string? ParentId = null,
    IReadOnlyList<QuotaSpec>? Quotas = null,
    IReadOnlyList<int>? AlertThresholds = null,
    string? TimeZone = null);

/// <summary>A tenant: its own overrides and the quotas in force (tier, overrides and inheritance merged).</summary>
public sealed record Tenant(
    string Id,
    string Name,
    Tier Tier,
    TenantStatus Status,
    string? ParentId,
    IReadOnlyList<QuotaSpec> Quotas,
    IReadOnlyList<QuotaSpec> EffectiveQuotas,
    IReadOnlyList<int> AlertThresholds,
    string TimeZone);

/// <summary>Shown once: the key text cannot be read again.</summary>
public sealed record IssuedApiKey(string KeyId, string TenantId, string Key, DateTimeOffset CreatedAt);

/// <summary>A tenant's API key as listed: never its text. <see cref="RevokedAt"/> is set once it is revoked.</summary>
public sealed record ApiKeySummary(string KeyId, string TenantId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A new worker key of a pool: it reaches that pool's worker routes only. <paramref name="Key"/> is shown only here, once.</summary>
public sealed record IssuedWorkerKey(string KeyId, string PoolId, string Key, DateTimeOffset CreatedAt);

/// <summary>
/// A pool's worker key as listed, never its text. <see cref="Live"/> is false once it is revoked (<see cref="RevokedAt"/>)
/// or its pool was deleted since it was issued; null while the service, during an upgrade, cannot say.
/// </summary>
public sealed record WorkerKeySummary(string KeyId, string PoolId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, bool? Live);
