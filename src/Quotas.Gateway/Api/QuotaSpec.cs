using Quotas.Core.Tenants;

namespace Quotas.Gateway.Api;

/// <summary>
/// A quota as the REST API writes it: durations in seconds, <see cref="Limit"/> -1 for unlimited. Fields that do not
/// apply to the kind are left out.
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
    BudgetPeriod? Period = null)
{
    public QuotaDefinition ToDefinition()
    {
        var limit = Limit == QuotaLimit.UnlimitedValue && LimitType != LimitType.Soft ? QuotaLimit.Unlimited : LimitType switch
        {
            LimitType.Soft => QuotaLimit.Soft(Limit, Ceiling ?? Limit, Seconds(MaxBurstSeconds, "maxBurstSeconds"), Seconds(GraceSeconds ?? 0, "graceSeconds")),
            LimitType.Unlimited => QuotaLimit.Unlimited,
            _ => new QuotaLimit(LimitType, Limit, Limit, TimeSpan.Zero, TimeSpan.Zero),
        };
        var definition = new QuotaDefinition(
            Name,
            Kind,
            limit,
            Algorithm ?? RateAlgorithm.SlidingWindow,
            Kind == QuotaKind.Rate ? Seconds(WindowSeconds, "windowSeconds") : TimeSpan.Zero,
            Kind == QuotaKind.Rate && (Algorithm ?? RateAlgorithm.SlidingWindow) == RateAlgorithm.SlidingWindow ? Buckets ?? QuotaDefinition.DefaultBuckets : 0,
            Burst ?? 0,
            Period ?? BudgetPeriod.Day);
        definition.Validate();
        return definition;
    }

    public static QuotaSpec From(QuotaDefinition d) => new(
        d.Name,
        d.Kind,
        d.Limit.Limit,
        d.Limit.Type,
        d.Limit.Type == LimitType.Soft ? d.Limit.Ceiling : null,
        d.Limit.Type == LimitType.Soft ? d.Limit.MaxBurst.TotalSeconds : null,
        d.Limit.Type == LimitType.Soft ? d.Limit.GracePeriod.TotalSeconds : null,
        d.Kind == QuotaKind.Rate ? d.Algorithm : null,
        d.Kind == QuotaKind.Rate ? d.Window.TotalSeconds : null,
        d.Kind == QuotaKind.Rate && d.Algorithm == RateAlgorithm.SlidingWindow ? d.Buckets : null,
        d.Kind == QuotaKind.Rate && d.Algorithm == RateAlgorithm.TokenBucket ? d.Burst : null,
        d.Kind == QuotaKind.Budget ? d.Period : null);

    private TimeSpan Seconds(double? value, string field) => value switch
    {
        null => throw new QuotaValidationException(ValidationCodes.Invalid, $"Quota '{Name}' needs '{field}'."),
        < 0 or > 366 * 86_400 or double.NaN => throw new QuotaValidationException(ValidationCodes.Invalid, $"Quota '{Name}' has '{field}' {value}: use 0 to 31,622,400 seconds."),
        _ => TimeSpan.FromSeconds(value.Value),
    };
}
