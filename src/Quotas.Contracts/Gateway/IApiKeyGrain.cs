using Grains;

namespace Quotas.Contracts.Gateway;

/// <summary>
/// One tenant API key, keyed by its public key id. Only the SHA-256 hash of the key's secret is stored (and sent over
/// the wire); the secret itself is shown to the operator once, when the gateway issues it.
/// </summary>
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>Stores the key for <paramref name="tenantId"/>; fails with <c>api_key_exists</c> if the id is taken.</summary>
    Task<ApiKeyInfo> Register(string tenantId, string secretHash);

    /// <summary>The tenant the key belongs to when <paramref name="secretHash"/> matches (compared in constant time) and
    /// the key is not revoked; otherwise null.</summary>
    [Idempotent]
    Task<string?> Verify(string secretHash);

    /// <summary>The key's metadata, or null when it does not exist.</summary>
    [Idempotent]
    Task<ApiKeyInfo?> Get();

    /// <summary>Revokes the key for good; false when there was no live key.</summary>
    Task<bool> Revoke();
}

/// <summary>What is known about an API key (never its secret).</summary>
public sealed record ApiKeyInfo(string KeyId, string TenantId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
