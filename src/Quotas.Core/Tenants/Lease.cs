namespace Quotas.Core.Tenants;

/// <summary>A live lease on a gauge. Mutable expiry only; owned by <see cref="LeaseBook"/>.</summary>
internal sealed class Lease
{
    public Lease(string id, int quotaIndex, long amount, DateTimeOffset expiresAt, string? idempotencyKey)
    {
        Id = id;
        QuotaIndex = quotaIndex;
        Amount = amount;
        ExpiresAt = expiresAt;
        IdempotencyKey = idempotencyKey;
    }

    public string Id { get; }

    public int QuotaIndex { get; }

    public long Amount { get; }

    public DateTimeOffset ExpiresAt { get; set; }

    public string? IdempotencyKey { get; }
}

/// <summary>A lease as the outside sees it.</summary>
public sealed record LeaseInfo(string LeaseId, string Quota, long Amount, DateTimeOffset ExpiresAt, string? IdempotencyKey);

/// <summary>
/// A live lease as its tenant reads it. <paramref name="HeldByService"/>: the service holds it, for a pool's running
/// job or a child tenant's lease; it ends with what it stands for, and no client renews or releases it.
/// </summary>
public sealed record HeldLease(string LeaseId, string Quota, long Amount, DateTimeOffset ExpiresAt, bool HeldByService);

/// <summary>
/// Outcome of a renewal. When refused, the lease keeps its old expiry (or is already gone); a refusal of a live lease
/// names its <paramref name="Quota"/> with the usage (<paramref name="Current"/>) and <paramref name="Limit"/> that
/// refused it, and <paramref name="RetryAfter"/> when waiting can end it (an ancestor's cap that another lease fills
/// until it ends).
/// </summary>
public sealed record LeaseRenewal(bool Renewed, DateTimeOffset? ExpiresAt, string? ReasonCode, string? Quota = null, long? Current = null, long? Limit = null, TimeSpan? RetryAfter = null);
