using System.Security.Cryptography;
using System.Text;
using Grains;
using Quotas.Contracts.Gateway;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Gateway;

/// <summary>Holds one API key's tenant and secret hash; see <see cref="IApiKeyGrain"/>.</summary>
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

        if (string.IsNullOrEmpty(secretHash) || secretHash.Length != 64)
        {
            throw new QuotaValidationException(ValidationCodes.Invalid, "The secret hash must be 64 hex characters (SHA-256).");
        }

        if (state.RecordExists)
        {
            throw new QuotaValidationException(KeyExists, $"API key id '{GetPrimaryKeyString()}' is taken; issue another key.");
        }

        state.State = new ApiKeyState { TenantId = tenantId, SecretHash = secretHash, CreatedAt = time.GetUtcNow() };
        await state.WriteStateAsync();
        return Info();
    }

    public Task<string?> Verify(string secretHash)
    {
        if (!state.RecordExists || state.State.RevokedAt is not null || secretHash is null)
        {
            return Task.FromResult<string?>(null);
        }

        var matches = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(secretHash), Encoding.ASCII.GetBytes(state.State.SecretHash));
        return Task.FromResult(matches ? state.State.TenantId : null);
    }

    public Task<ApiKeyInfo?> Get() => Task.FromResult(state.RecordExists ? Info() : null);

    public async Task<bool> Revoke()
    {
        if (!state.RecordExists)
        {
            // A key its tenant recorded but that was never stored (the issuing request stopped halfway, or is still
            // running): the id is kept as revoked, so that a registration arriving after its tenant was deleted fails.
            var now = time.GetUtcNow();
            state.State = new ApiKeyState { CreatedAt = now, RevokedAt = now };
            await state.WriteStateAsync();
            return false;
        }

        if (state.State.RevokedAt is not null)
        {
            return false;
        }

        state.State.RevokedAt = time.GetUtcNow();
        await state.WriteStateAsync();
        return true;
    }

    private ApiKeyInfo Info() => new(GetPrimaryKeyString(), state.State.TenantId, state.State.CreatedAt, state.State.RevokedAt);
}

public sealed class ApiKeyState
{
    public string TenantId { get; set; } = "";

    public string SecretHash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
