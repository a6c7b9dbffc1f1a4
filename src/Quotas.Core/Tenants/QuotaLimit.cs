using System.Text.Json.Serialization;

namespace Quotas.Core.Tenants;

/// <summary>The limit of one quota: hard, soft (ceiling, max burst, grace) or unlimited (<see cref="Limit"/> = -1).</summary>
/// <remarks>
/// Soft limits: usage may go above <see cref="Limit"/> up to <see cref="Ceiling"/> for at most <see cref="MaxBurst"/>, measured
/// from the moment usage first went above the limit. For a gauge or a budget the clock re-arms as soon as usage is back at or
/// under the limit; a rate window, whose count falls by itself as time passes, starts a new burst only once its count has
/// been back at the limit for a whole window (so a tenant that never pauses gets little more than its limit over time,
/// rather than a burst in every window). After the burst, new admissions are enforced against <see cref="Limit"/> (reason <c>soft_burst_expired</c>,
/// also given for a rate above its limit while the next burst waits). Existing gauge leases are
/// never revoked: during <see cref="GracePeriod"/> after the burst they may still be renewed, so clients get time to scale down;
/// once burst + grace has passed, renewals are refused while usage is above the limit, so usage converges to the limit as
/// leases expire. Rate and budget quotas have no leases, so the grace period does not apply to them.
/// </remarks>
public sealed record QuotaLimit(LimitType Type, long Limit, long Ceiling, TimeSpan MaxBurst, TimeSpan GracePeriod)
{
    /// <summary>Largest limit or amount accepted (2^53: exact in JSON numbers; sums of two never overflow).</summary>
    public const long MaxValue = 1L << 53;

    public const long UnlimitedValue = -1;

    public static QuotaLimit Unlimited { get; } = new(LimitType.Unlimited, UnlimitedValue, UnlimitedValue, TimeSpan.Zero, TimeSpan.Zero);

    public static QuotaLimit Hard(long limit) => Validated(new(LimitType.Hard, limit, limit, TimeSpan.Zero, TimeSpan.Zero));

    public static QuotaLimit Soft(long limit, long ceiling, TimeSpan maxBurst, TimeSpan gracePeriod) =>
        Validated(new(LimitType.Soft, limit, ceiling, maxBurst, gracePeriod));

    /// <summary>-1 means unlimited, as in the REST API.</summary>
    public static QuotaLimit FromValue(long limit) => limit == UnlimitedValue ? Unlimited : Hard(limit);

    [JsonIgnore]
    public bool IsUnlimited => Type == LimitType.Unlimited;

    /// <summary>Largest usage ever admitted: the ceiling for soft limits, the limit otherwise (-1 when unlimited).</summary>
    [JsonIgnore]
    public long Max => Type == LimitType.Soft ? Ceiling : Limit;

    public void Validate(string quota)
    {
        _ = Validated(this, quota);
    }

    private static QuotaLimit Validated(QuotaLimit limit, string quota = "")
    {
        var where = quota.Length == 0 ? string.Empty : $" of quota '{quota}'";
        switch (limit.Type)
        {
            case LimitType.Unlimited:
                if (limit.Limit != UnlimitedValue)
                {
                    throw Invalid($"An unlimited limit{where} must have the value -1.");
                }

                return limit;
            case LimitType.Hard:
                if (limit.Limit is < 0 or > MaxValue || limit.Ceiling != limit.Limit)
                {
                    throw Invalid($"Hard limit{where} is {limit.Limit}: use a value from 0 to {MaxValue} (or -1 for unlimited).");
                }

                return limit;
            case LimitType.Soft:
                if (limit.Limit is < 0 or > MaxValue || limit.Ceiling < limit.Limit || limit.Ceiling > MaxValue)
                {
                    throw Invalid($"Soft limit{where} is {limit.Limit} with ceiling {limit.Ceiling}: use 0 <= limit <= ceiling <= {MaxValue}.");
                }

                if (limit.MaxBurst <= TimeSpan.Zero || limit.GracePeriod < TimeSpan.Zero)
                {
                    throw Invalid($"Soft limit{where} needs a positive max burst duration and a grace period of zero or more.");
                }

                return limit;
            default:
                throw Invalid($"Limit type{where} '{limit.Type}' is unknown: use Hard, Soft or Unlimited.");
        }
    }

    private static QuotaValidationException Invalid(string message) => new(ValidationCodes.InvalidLimit, message);
}
