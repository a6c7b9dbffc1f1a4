using System.Text.Json.Serialization;

namespace Quotas.Core.Tenants;

/// <summary>The answer to every check: <see cref="Allow"/>, <see cref="Queue"/> or <see cref="Deny"/>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "outcome")]
[JsonDerivedType(typeof(Allow), "allow")]
[JsonDerivedType(typeof(Queue), "queue")]
[JsonDerivedType(typeof(Deny), "deny")]
public abstract record AdmissionDecision
{
    private protected AdmissionDecision()
    {
    }

    [JsonIgnore]
    public bool IsAllowed => this is Allow;

    /// <summary>Admitted. Lease checks carry the lease id and expiry; rate and budget checks leave them null.
    /// <paramref name="Remaining"/> is limit minus usage (never negative), -1 when unlimited.</summary>
    public sealed record Allow(string? LeaseId, DateTimeOffset? ExpiresAt, long Remaining) : AdmissionDecision;

    /// <summary>Not now, but the request fits once capacity frees: retry after <paramref name="RetryAfter"/> (the earliest lease expiry;
    /// a release may come sooner). <paramref name="Current"/> is what live leases hold and <paramref name="Limit"/> the quota's
    /// limit; both null only in a decision from a silo of an earlier release, which did not send them.</summary>
    public sealed record Queue(string Reason, string Quota, TimeSpan RetryAfter, long? Current = null, long? Limit = null) : AdmissionDecision;

    /// <summary>Refused. <paramref name="RetryAfter"/> is set when waiting helps (rate windows, budget periods).</summary>
    public sealed record Deny(string ReasonCode, string Quota, long Current, long Limit, TimeSpan? RetryAfter) : AdmissionDecision;
}
