using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Grains;
using Microsoft.AspNetCore.Http;
using Quotas.Contracts.Gateway;

namespace Quotas.Gateway.Auth;

/// <summary>
/// Turns the <c>Authorization: Bearer</c> key into a <see cref="Caller"/>. The admin key is compared in constant time;
/// a tenant or worker key is verified by its grain (which compares the secret's hash in constant time) and then trusted
/// for <see cref="GatewayOptions.ApiKeyCacheDuration"/>. A client address that keeps sending keys that are not valid has
/// its keys refused unchecked for a while (<see cref="RejectedKeyLimiter"/>), except those whose id this gateway has
/// verified or issued since it started: a real key id costs no storage read however often it is tried.
/// </summary>
public sealed class CallerResolver
{
    private const int MaxCachedKeys = 100_000;
    private const int MaxKnownKeyIds = 100_000;
    private const int MaxHeaderLength = 256; // "Bearer " and the longest admin key (GatewayOptions.MaxAdminKeyLength) fit

    private readonly IGrainFactory _grains;
    private readonly AdminKey _adminKey;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly RejectedKeyLimiter _rejectedKeys;

    // Ids of real keys (verified or issued here), which the bound on keys that are not valid never refuses.
    private readonly ConcurrentDictionary<string, byte> _knownKeyIds = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, (Caller Caller, string KeyId, long Until)> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (Caller Caller, string KeyId, long Until)>.AlternateLookup<ReadOnlySpan<char>> _verifiedBySpan;

    // Counts the keys forgotten (revoked) here: a verification that began before a revoke may carry an answer from
    // before it, so its answer is used for its own request but not cached.
    private long _forgotten;

    public CallerResolver(IGrainFactory grains, AdminKey adminKey, GatewayOptions options, TimeProvider time, IMeterFactory? meters = null)
    {
        _grains = grains;
        _adminKey = adminKey;
        _options = options;
        _time = time;
        _verifiedBySpan = _verified.GetAlternateLookup<ReadOnlySpan<char>>();
        _rejectedKeys = new RejectedKeyLimiter(options, time);
        // Observed at each scrape, so that both series show from the start, at zero.
        meters?.Create(Streams.EventStreamSlots.MeterName).CreateObservableCounter(
            "quotas.gateway.api_keys.rejected",
            () => new[]
            {
                new Measurement<long>(_rejectedKeys.Rejected, new KeyValuePair<string, object?>("checked", "true")),
                new Measurement<long>(_rejectedKeys.RefusedUnchecked, new KeyValuePair<string, object?>("checked", "false")),
            },
            "{key}",
            "API keys refused: checked true when the key's grain answered it is not valid, false when refused unchecked because its client address had sent MaxRejectedKeysPerMinute such keys within a minute.");
    }

    /// <summary>The caller, or none when the request carries no key or a wrong one, or a key left unchecked.</summary>
    public async ValueTask<KeyCheck> ResolveAsync(HttpContext context)
    {
        // A key longer than any this service issues is not looked up at all.
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length >= MaxHeaderLength || !TryGetBearerKey(header, out var keySpan))
        {
            return null;
        }

        // A tenant or worker key verified lately answers from the cache first (looked up in the header's text, so a
        // known key costs no string), which spares the admin comparison's hash on the hottest path; the cache never
        // holds the admin key, and the admin comparison stays constant-time.
        var now = _time.GetTimestamp();
        if (_verifiedBySpan.TryGetValue(keySpan, out var cached) && cached.Until > now)
        {
            return cached.Caller;
        }

        var key = keySpan.ToString();
        if (_adminKey.Matches(key))
        {
            return Caller.Admin;
        }

        if (!ApiKeyText.TryParse(key, out var keyId, out var secret))
        {
            return null;
        }

        // A real key's id is checked whatever its address sent: its grain is there already, and the bound is for
        // made-up ids, each of which costs an activation and a storage read.
        RejectedKeyLimiter.Place? place = null;
        if (!_knownKeyIds.ContainsKey(keyId) && !_rejectedKeys.TryTake(context.Connection.RemoteIpAddress, out place, out var wait))
        {
            return new KeyCheck(null, wait);
        }

        var forgottenBefore = Interlocked.Read(ref _forgotten);
        ApiKeyScope? scope;
        try
        {
            scope = await VerifyAsync(_grains.GetGrain<IApiKeyGrain>(keyId), ApiKeyText.Hash(secret));
        }
        catch
        {
            _rejectedKeys.GiveBack(place);
            throw;
        }

        if (scope is null)
        {
            _verified.TryRemove(key, out _);
            _rejectedKeys.CountRejected();
            return null;
        }

        _rejectedKeys.GiveBack(place);
        Know(keyId);
        if (_verified.Count >= MaxCachedKeys)
        {
            ForgetExpired(now);
        }

        var caller = scope.PoolId is { } pool ? Caller.Worker(pool) : Caller.Tenant(scope.TenantId!);
        var until = now + (long)(_options.ApiKeyCacheDuration.TotalSeconds * _time.TimestampFrequency);
        _verified[key] = (caller, keyId, until);
        if (Interlocked.Read(ref _forgotten) != forgottenBefore)
        {
            // A key was revoked meanwhile, perhaps this one: what was just cached may predate it.
            _verified.TryRemove(key, out _);
        }

        return caller;
    }

    /// <summary>
    /// Whom the key speaks for. A silo of an earlier release (a rolling upgrade) does not know VerifyScope: its tenant
    /// keys are then verified as before, and it has no worker keys (docs/contracts.md).
    /// </summary>
    private static async Task<ApiKeyScope?> VerifyAsync(IApiKeyGrain key, string secretHash)
    {
        try
        {
            return await key.VerifyScope(secretHash);
        }
        catch (NotSupportedException)
        {
            return await key.Verify(secretHash) is { } tenant ? new ApiKeyScope(tenant, null) : null;
        }
    }

    /// <summary>Notes a real key's id (one this gateway issued), which the bound on keys that are not valid never refuses.</summary>
    public void Know(string keyId)
    {
        if (_knownKeyIds.Count >= MaxKnownKeyIds)
        {
            _knownKeyIds.Clear();
        }

        _knownKeyIds.TryAdd(keyId, 0);
    }

    /// <summary>Makes room in the cache of verified keys: the expired ones go, and every one if that is not enough.</summary>
    private void ForgetExpired(long now)
    {
        foreach (var entry in _verified)
        {
            if (entry.Value.Until <= now)
            {
                _verified.TryRemove(entry.Key, out _);
            }
        }

        if (_verified.Count >= MaxCachedKeys)
        {
            _verified.Clear();
        }
    }

    /// <summary>Forgets the worker keys of a deleted pool on this gateway at once.</summary>
    public void ForgetPool(string poolId) => ForgetWhere(entry => entry.Caller.PoolId == poolId);

    /// <summary>
    /// Forgets every key of a deleted tenant on this gateway at once, also one issued after the delete read the
    /// tenant's key ids: forgotten by those ids alone, such a key kept working here for its cache time.
    /// </summary>
    public void ForgetTenant(string tenantId) => ForgetWhere(entry => entry.Caller.TenantId == tenantId);

    /// <summary>Forgets a revoked key on this gateway at once.</summary>
    public void Forget(string keyId) => ForgetWhere(entry => entry.KeyId == keyId);

    private void ForgetWhere(Func<(Caller Caller, string KeyId, long Until), bool> matches)
    {
        Interlocked.Increment(ref _forgotten);
        foreach (var entry in _verified)
        {
            if (matches(entry.Value))
            {
                _verified.TryRemove(entry.Key, out _);
            }
        }
    }

    /// <summary>The key of an <c>Authorization: Bearer</c> header, trimmed; false when the header carries none.</summary>
    internal static bool TryGetBearerKey(string header, out ReadOnlySpan<char> key)
    {
        const string scheme = "Bearer ";
        key = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && header.Length > scheme.Length
            ? header.AsSpan(scheme.Length).Trim()
            : default;
        return !key.IsEmpty;
    }
}

/// <summary>
/// What a request's key resolved to: its caller, null for no key or a wrong one; or, for a key left unchecked because
/// its client address sent too many wrong ones, how long until keys from there are checked again.
/// </summary>
public readonly record struct KeyCheck(Caller? Caller, TimeSpan? UncheckedFor = null)
{
    public static implicit operator KeyCheck(Caller? caller) => new(caller);
}

/// <summary>The admin key, held as its SHA-256 so that comparing takes the same time whatever the input.</summary>
public sealed class AdminKey(string key)
{
    private readonly byte[] _hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public string Value { get; } = key;

    public bool Matches(string candidate) => CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(candidate)));
}
