using System.Text.Json;
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
        RefuseFieldsThatDoNotApply();
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

    /// <summary>
    /// A field set for a kind or limit type it does not belong to is refused rather than dropped: an operator who sends
    /// a limit with <c>"limitType": "unlimited"</c>, or a ceiling without <c>"limitType": "soft"</c>, meant something
    /// other than what would be stored, and learns it now rather than from enforcement.
    /// </summary>
    private void RefuseFieldsThatDoNotApply()
    {
        if (LimitType == LimitType.Unlimited && Limit != QuotaLimit.UnlimitedValue)
        {
            throw new QuotaValidationException(
                ValidationCodes.InvalidLimit,
                $"Quota '{Name}' has limitType unlimited and limit {Limit}: send limit {QuotaLimit.UnlimitedValue} for no limit, or limitType hard or soft to enforce {Limit}.");
        }

        if (LimitType != LimitType.Soft)
        {
            RefuseUnless(Ceiling is null && MaxBurstSeconds is null && GraceSeconds is null, "'ceiling', 'maxBurstSeconds' and 'graceSeconds' apply only to limitType soft");
        }

        if (Kind != QuotaKind.Rate)
        {
            RefuseUnless(Algorithm is null && WindowSeconds is null && Buckets is null && Burst is null, "'algorithm', 'windowSeconds', 'buckets' and 'burst' apply only to kind rate");
        }
        else if ((Algorithm ?? RateAlgorithm.SlidingWindow) == RateAlgorithm.SlidingWindow)
        {
            RefuseUnless(Burst is null, "'burst' applies only to algorithm tokenBucket");
        }
        else
        {
            RefuseUnless(Buckets is null, "'buckets' applies only to algorithm slidingWindow");
        }

        if (Kind != QuotaKind.Budget)
        {
            RefuseUnless(Period is null, "'period' applies only to kind budget");
        }
    }

    private void RefuseUnless(bool holds, string rule)
    {
        if (!holds)
        {
            throw new QuotaValidationException(
                ValidationCodes.Invalid,
                $"Quota '{Name}' (kind {Camel(Kind)}, limitType {Camel(LimitType)}) sets a field that does not apply to it: {rule}. Leave the field out, or change the kind or limit type.");
        }
    }

    private static string Camel<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    private TimeSpan Seconds(double? value, string field) => value switch
    {
        null => throw new QuotaValidationException(ValidationCodes.Invalid, $"Quota '{Name}' needs '{field}'."),
        < 0 or > 366 * 86_400 or double.NaN => throw new QuotaValidationException(ValidationCodes.Invalid, $"Quota '{Name}' has '{field}' {value}: use 0 to 31,622,400 seconds."),
        _ => TimeSpan.FromSeconds(value.Value),
    };
}
