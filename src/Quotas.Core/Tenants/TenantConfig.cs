using System.Text.Json.Serialization;

namespace Quotas.Core.Tenants;

/// <summary>What an operator configures for a tenant. <see cref="Quotas"/> override the tier profile by (kind, name).</summary>
/// <remarks>AlertThresholds: Utilization percentages (1..100, ascending) that raise an alert on each upward crossing.</remarks>
/// <remarks>TimeZoneId: IANA (or Windows) id of the zone whose calendar bounds budgets; UTC by default.</remarks>
public sealed record TenantConfig(
    TenantId Id,
    string Name,
    Tier Tier,
    IReadOnlyList<QuotaDefinition> Quotas,
    TenantStatus Status = TenantStatus.Active,
    TenantId? ParentId = null,
    IReadOnlyList<int>? AlertThresholds = null,
    string TimeZoneId = "UTC")
{
    public const int MaxAlertThresholds = 8;

    public static IReadOnlyList<int> DefaultAlertThresholds { get; } = [80, 95];

    [JsonIgnore]
    public IReadOnlyList<int> EffectiveAlertThresholds => AlertThresholds ?? DefaultAlertThresholds;

    public static TenantConfig Create(string id, Tier tier, params QuotaDefinition[] quotas) =>
        new(TenantId.Parse(id), id, tier, quotas);

    public void Validate()
    {
        _ = Id.Value;
        var seen = new HashSet<(QuotaKind, string)>();
        foreach (var quota in Quotas ?? [])
        {
            quota.Validate();
            if (!seen.Add((quota.Kind, quota.Name)))
            {
                throw new QuotaValidationException(ValidationCodes.DuplicateQuota, $"Quota '{quota.Name}' ({quota.Kind}) is defined twice: keep one.");
            }
        }

        if (EffectiveAlertThresholds.Count > MaxAlertThresholds)
        {
            throw new QuotaValidationException(ValidationCodes.InvalidThreshold, $"At most {MaxAlertThresholds} alert thresholds are allowed: keep the ones that matter.");
        }

        var previous = 0;
        foreach (var threshold in EffectiveAlertThresholds)
        {
            if (threshold <= previous || threshold > 100)
            {
                throw new QuotaValidationException(ValidationCodes.InvalidThreshold, "Alert thresholds must be ascending percentages from 1 to 100, e.g. [80, 95].");
            }

            previous = threshold;
        }

        _ = BudgetCalendar.FindZone(TimeZoneId);
    }
}
