using System.Text.Json.Serialization;

namespace Quotas.Core.Tenants;

/// <summary>Answer of a rate check, shaped for the RateLimit headers. A struct: the hot path allocates nothing.</summary>
/// <remarks>Limit: Units per window (token bucket: the burst); -1 when unlimited.</remarks>
/// <remarks>Remaining: Units still admissible now; -1 when unlimited.</remarks>
/// <remarks>ResetAfter: Sliding window: until the oldest counted unit leaves; token bucket: until full.</remarks>
/// <remarks>RetryAfter: When denied and waiting helps: until the request would fit.</remarks>
[JsonConverter(typeof(RateDecisionJsonConverter))]
public readonly record struct RateDecision(
    bool Allowed,
    string? ReasonCode,
    string Quota,
    long Current,
    long Limit,
    long Remaining,
    TimeSpan ResetAfter,
    TimeSpan? RetryAfter)
{
    public AdmissionDecision ToAdmission() => Allowed
        ? new AdmissionDecision.Allow(null, null, Remaining)
        : new AdmissionDecision.Deny(ReasonCode!, Quota, Current, Limit, RetryAfter);
}
