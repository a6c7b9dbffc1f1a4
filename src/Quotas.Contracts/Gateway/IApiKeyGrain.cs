using Grains;

namespace Quotas.Contracts.Gateway;

/// <summary>
/// One API key, keyed by its public key id: a tenant's key, or a worker key of one pool. Only the SHA-256 hash of the
/// key's secret is stored (and sent over the wire); the secret itself is shown to the operator once, when the gateway
/// issues it.
/// </summary>
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>Stores the key for <paramref name="tenantId"/>; fails with <c>api_key_exists</c> if the id is taken.</summary>
    Task<ApiKeyInfo> Register(string tenantId, string secretHash);

    /// <summary>
    /// Stores a worker key of pool <paramref name="poolId"/>: it reaches that pool's worker routes only, for as long as
    /// the pool's last deletion time is still <paramref name="poolDeletedAt"/> (read before the pool was found to
    /// exist), so that a delete, even one running while the key is issued, ends the key. Fails with
    /// <c>api_key_exists</c> if the id is taken.
    /// </summary>
    Task<ApiKeyInfo> RegisterWorker(string poolId, string secretHash, DateTimeOffset? poolDeletedAt);

    /// <summary>
    /// Whom the key speaks for when <paramref name="secretHash"/> matches (compared in constant time) and the key is
    /// live: a tenant, or a pool's workers; otherwise null. A worker key whose pool has been deleted since it was
    /// issued is no longer live.
    /// </summary>
    [Idempotent]
    Task<ApiKeyScope?> VerifyScope(string secretHash);

    /// <summary>The tenant the key belongs to when <paramref name="secretHash"/> matches (compared in constant time) and
    /// the key is not revoked; otherwise null, and null for a worker key (see <see cref="VerifyScope"/>).</summary>
    [Idempotent]
    Task<string?> Verify(string secretHash);

    /// <summary>The key's metadata, or null when it does not exist.</summary>
    [Idempotent]
    Task<ApiKeyInfo?> Get();

    /// <summary>Revokes the key for good; false when there was no live key.</summary>
    Task<bool> Revoke();

    /// <summary>
    /// Whether the key is live: stored, not revoked and, for a worker key, its pool not deleted since the key was issued
    /// (as <see cref="VerifyScope"/> judges it). Added after the first release: an older silo answers that it does not
    /// know the method.
    /// </summary>
    [Idempotent]
    Task<bool> IsLive();
}

/// <summary>What is known about an API key (never its secret); a worker key has <paramref name="PoolId"/> and no tenant ("").</summary>
public sealed record ApiKeyInfo(string KeyId, string TenantId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, string? PoolId = null);

/// <summary>Whom a live key speaks for: exactly one of a tenant and a pool's workers.</summary>
public sealed record ApiKeyScope(string? TenantId, string? PoolId);
