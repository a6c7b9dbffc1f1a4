using Quotas.Core.Tenants;

namespace Quotas.Gateway.Api;

public sealed record CreateTenantRequest(
    string Id,
    string? Name = null,
    Tier Tier = Tier.Basic,
    string? ParentId = null,
    IReadOnlyList<QuotaSpec>? Quotas = null,
    IReadOnlyList<int>? AlertThresholds = null,
    string? TimeZone = null);

public sealed record UpdateQuotasRequest(IReadOnlyList<QuotaSpec> Quotas);

/// <summary>A tenant: its own quota overrides and the quotas in force (tier, overrides and inheritance merged).</summary>
public sealed record TenantResponse(
    string Id,
    string Name,
    Tier Tier,
    TenantStatus Status,
    string? ParentId,
    IReadOnlyList<QuotaSpec> Quotas,
    IReadOnlyList<QuotaSpec> EffectiveQuotas,
    IReadOnlyList<int> AlertThresholds,
    string TimeZone)
{
    public static TenantResponse From(TenantConfig config, IReadOnlyList<QuotaDefinition> effective) => new(
        config.Id.Value,
        config.Name,
        config.Tier,
        config.Status,
        config.ParentId?.Value,
        [.. config.Quotas.Select(QuotaSpec.From)],
        [.. effective.Select(QuotaSpec.From)],
        config.EffectiveAlertThresholds,
        config.TimeZoneId);
}

/// <summary>Shown once: the key text is not stored and cannot be read again.</summary>
public sealed record IssuedApiKey(string KeyId, string TenantId, string Key, DateTimeOffset CreatedAt);

/// <summary>A tenant's API key as listed: never its text, which was shown once when it was issued.</summary>
public sealed record ApiKeySummary(string KeyId, string TenantId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>
/// A pool's worker key as listed, never its text. <paramref name="Live"/> is false once it is revoked (see
/// <paramref name="RevokedAt"/>) or its pool deleted since it was issued; null while a silo of an earlier release, during
/// an upgrade, cannot say.
/// </summary>
public sealed record WorkerKeySummary(string KeyId, string PoolId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, bool? Live);

/// <summary>A new worker key of a pool; <paramref name="Key"/> is shown only here, once.</summary>
public sealed record IssuedWorkerKey(string KeyId, string PoolId, string Key, DateTimeOffset CreatedAt);

/// <summary>One page of a list; pass <see cref="NextCursor"/> as <c>cursor</c> to get the next (also in the Link header).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// One page of every tenant's statements of a month (<c>GET /v1/statements/{month}</c>): the statements read, and the
/// tenants listed in the page whose stored state could not be read, which an operator must repair; they are billed
/// once it is, so a billing run must not take a page with any as complete. Retrying does not help them.
/// </summary>
public sealed record StatementPage(IReadOnlyList<Quotas.Core.Billing.BillingStatement> Items, string? NextCursor, IReadOnlyList<UnreadableTenant> Unreadable);

/// <summary>A tenant whose stored state could not be read, with what the storage said.</summary>
public sealed record UnreadableTenant(string TenantId, string Detail);

/// <summary>A tenant's pricing plan in force now; <paramref name="Plan"/> is null when none is set.</summary>
public sealed record PricingPlanResponse(string TenantId, Quotas.Core.Billing.PricingPlan? Plan);
