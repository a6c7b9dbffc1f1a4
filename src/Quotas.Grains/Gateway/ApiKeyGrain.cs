using System.Security.Cryptography;
using System.Text;
using Grains;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Gateway;

/// <summary>Holds one API key's tenant (or pool, for a worker key) and secret hash; see <see cref="IApiKeyGrain"/>.</summary>
[GrainType("apikey")]
public sealed class ApiKeyGrain([PersistentState("apikey")] IPersistentState<ApiKeyState> state, TimeProvider time) : Grain, IApiKeyGrain
{
    public const string KeyExists = "api_key_exists";

    public async Task<ApiKeyInfo> Register(string tenantId, string secretHash)
    {
        if (!TenantId.IsValid(tenantId))
        {
            throw new QuotaValidationException(ValidationCodes.InvalidTenantId, $"Tenant id '{tenantId}' is invalid.");
        }

        CheckNew(secretHash);
        state.State = new ApiKeyState { TenantId = tenantId, SecretHash = secretHash, CreatedAt = time.GetUtcNow() };
        await state.WriteStateAsync();
        return Info();
    }

    private void CheckNew(string secretHash)
    {
        if (string.IsNullOrEmpty(secretHash) || secretHash.Length != 64)
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, "The secret hash must be 64 hex characters (SHA-256).");
        }

        if (state.RecordExists)
        {
            throw new QuotaValidationException(KeyExists, $"API key id '{GetPrimaryKeyString()}' is taken; issue another key.");
        }
    }

    public async Task<ApiKeyInfo> RegisterWorker(string poolId, string secretHash, DateTimeOffset? poolDeletedAt)
    {
        if (!TenantId.IsValid(poolId))
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, $"Pool id '{poolId}' is invalid: use 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit.");
        }

        CheckNew(secretHash);
        state.State = new ApiKeyState { PoolId = poolId, PoolDeletedAt = poolDeletedAt, SecretHash = secretHash, CreatedAt = time.GetUtcNow() };
        await state.WriteStateAsync();
        return Info();
    }

    public Task<string?> Verify(string secretHash)
    {
        LeaveIfNoKey();
        return Task.FromResult(Matches(secretHash) && state.State.PoolId is null ? state.State.TenantId : null);
    }

    public async Task<ApiKeyScope?> VerifyScope(string secretHash)
    {
        if (!Matches(secretHash))
        {
            LeaveIfNoKey();
            return null;
        }

        if (state.State.PoolId is not { } pool)
        {
            return new ApiKeyScope(state.State.TenantId, null);
        }

        return await PoolKeptAsync(pool) ? new ApiKeyScope(null, pool) : null;
    }

    public async Task<bool> IsLive()
    {
        LeaveIfNoKey();
        return state.RecordExists && state.State.RevokedAt is null && (state.State.PoolId is not { } pool || await PoolKeptAsync(pool));
    }

    /// <summary>
    /// An id with no key holds nothing worth keeping in memory. Anyone may send a made-up key id, so each one costs a
    /// storage read and then leaves, instead of staying active until idle collection.
    /// </summary>
    private void LeaveIfNoKey()
    {
        if (!state.RecordExists)
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>
    /// A pool deleted (and perhaps created again under its id) since the key was issued does not keep its workers: the
    /// deletion time the pool keeps must still be the one read when the key was issued (values, not clocks).
    /// </summary>
    private async Task<bool> PoolKeptAsync(string pool) =>
        await GrainFactory.GetGrain<IFairShareSchedulerGrain>(pool).GetLastDeletedAt() == state.State.PoolDeletedAt;

    private bool Matches(string secretHash) =>
        state.RecordExists && state.State.RevokedAt is null && secretHash is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(secretHash), Encoding.ASCII.GetBytes(state.State.SecretHash));

    public Task<ApiKeyInfo?> Get()
    {
        LeaveIfNoKey();
        return Task.FromResult(state.RecordExists ? Info() : null);
    }

    public async Task<bool> Revoke()
    {
        if (!state.RecordExists)
        {
            // A key its tenant recorded but that was never stored (the issuing request stopped halfway, or is still
            // running): the id is kept as revoked, so that a registration arriving after its tenant was deleted fails.
            var now = time.GetUtcNow();
            var unknown = state.State;
            state.State = new ApiKeyState { CreatedAt = now, RevokedAt = now };
            await WriteOrUndoAsync(() => state.State = unknown);
            return false;
        }

        if (state.State.RevokedAt is not null)
        {
            return false;
        }

        state.State.RevokedAt = time.GetUtcNow();
        await WriteOrUndoAsync(() => state.State.RevokedAt = null);
        return true;
    }

    /// <summary>
    /// Writes the state, or undoes the change in memory when the write fails, so that memory holds what storage does: a
    /// revocation held in memory alone answered every retry "not live" (404, which the SDK takes as done) while storage
    /// kept the key live, and the key worked again once its grain was read back (after its idle time, a restart or a move).
    /// </summary>
    private async Task WriteOrUndoAsync(Action undo)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            undo();
            throw;
        }
    }

    private ApiKeyInfo Info() => new(GetPrimaryKeyString(), state.State.TenantId, state.State.CreatedAt, state.State.RevokedAt, state.State.PoolId);
}

public sealed class ApiKeyState
{
    /// <summary>The tenant of a tenant key; empty for a worker key.</summary>
    public string TenantId { get; set; } = "";

    /// <summary>The pool of a worker key; null for a tenant key.</summary>
    public string? PoolId { get; set; }

    /// <summary>For a worker key: the pool's last deletion time when the key was issued (null: never deleted).</summary>
    public DateTimeOffset? PoolDeletedAt { get; set; }

    public string SecretHash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
