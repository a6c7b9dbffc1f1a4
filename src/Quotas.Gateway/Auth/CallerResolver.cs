using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Grains;
using Microsoft.AspNetCore.Http;
using Quotas.Contracts.Gateway;

namespace Quotas.Gateway.Auth;

/// <summary>
/// Turns the <c>Authorization: Bearer</c> key into a <see cref="Caller"/>. The admin key is compared in constant time;
/// a tenant key is verified by its grain (which compares the secret's hash in constant time) and then trusted for
/// <see cref="GatewayOptions.ApiKeyCacheDuration"/>.
/// </summary>
public sealed class CallerResolver(IGrainFactory grains, AdminKey adminKey, GatewayOptions options, TimeProvider time)
{
    private const int MaxCachedKeys = 100_000;

    private readonly ConcurrentDictionary<string, (Caller Caller, string KeyId, long Until)> _verified = new(StringComparer.Ordinal);

    /// <summary>The caller, or null when the request carries no key or a wrong one.</summary>
    public async ValueTask<Caller?> ResolveAsync(HttpContext context)
    {
        var key = BearerKey(context.Request);
        if (key is null)
        {
            return null;
        }

        // A tenant key verified lately answers from the cache first, which spares the admin comparison's hash on the
        // hottest path; the cache holds tenant keys only, and the admin comparison stays constant-time.
        var now = time.GetTimestamp();
        if (_verified.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return cached.Caller;
        }

        if (adminKey.Matches(key))
        {
            return Caller.Admin;
        }

        if (!ApiKeyText.TryParse(key, out var keyId, out var secret))
        {
            return null;
        }

        var tenant = await grains.GetGrain<IApiKeyGrain>(keyId).Verify(ApiKeyText.Hash(secret));
        if (tenant is null)
        {
            _verified.TryRemove(key, out _);
            return null;
        }

        if (_verified.Count >= MaxCachedKeys)
        {
            _verified.Clear();
        }

        var caller = Caller.Tenant(tenant);
        var until = now + (long)(options.ApiKeyCacheDuration.TotalSeconds * time.TimestampFrequency);
        _verified[key] = (caller, keyId, until);
        return caller;
    }

    /// <summary>Forgets a revoked key on this gateway at once.</summary>
    public void Forget(string keyId)
    {
        foreach (var entry in _verified)
        {
            if (entry.Value.KeyId == keyId)
            {
                _verified.TryRemove(entry.Key, out _);
            }
        }
    }

    private static string? BearerKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && header.Length > scheme.Length && header.Length < 256
            ? header[scheme.Length..].Trim()
            : null;
    }
}

/// <summary>The admin key, held as its SHA-256 so that comparing takes the same time whatever the input.</summary>
public sealed class AdminKey(string key)
{
    private readonly byte[] _hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public string Value { get; } = key;

    public bool Matches(string candidate) => CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(candidate)));
}
