using Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Endpoints;

/// <summary>Tenant API keys: issue (the key text is shown once), list (never the key text) and revoke.</summary>
internal static class ApiKeyEndpoints
{
    /// <summary>Key grains a list page asks at once: a page of 1,000 keys does not wake 1,000 grains in one go.</summary>
    private const int KeysReadAtOnce = 32;

    public static void MapApiKeyEndpoints(this RouteGroupBuilder v1)
    {
        var keys = v1.MapGroup("/tenants/{tenantId}/api-keys").WithTags("API keys").RequireAdmin().NamesById();
        keys.MapPost("/", Issue).WithName("IssueApiKey").Produces<IssuedApiKey>(StatusCodes.Status201Created);
        keys.MapGet("/", List).WithName("ListApiKeys").IsPaged();
        keys.MapGet("/{keyId}", Get).WithName("GetApiKey").Produces<ApiKeySummary>(StatusCodes.Status200OK);
        keys.MapDelete("/{keyId}", Revoke).WithName("RevokeApiKey").Produces(StatusCodes.Status204NoContent);
    }

    /// <summary>The tenant's keys in id order, revoked ones with the time; the tenant's own 404 when it does not exist.</summary>
    private static async Task<Page<ApiKeySummary>> List(HttpContext context, string tenantId, string? cursor, int? limit, IGrainFactory grains)
    {
        var size = Paging.Limit(limit);
        var tenant = grains.GetGrain<ITenantGrain>(tenantId);

        // GetConfig answers unknown_tenant (404) for a tenant that does not exist, where the key ids would be empty.
        await tenant.GetConfig();
        var ids = (await tenant.GetApiKeyIds()).Where(id => cursor is null || string.CompareOrdinal(id, cursor) > 0).Order(StringComparer.Ordinal).Take(size + 1).ToList();
        var page = ids.Take(size).ToList();
        // Only keys stored as this tenant's: an id recorded for a key whose issue stopped halfway is left out.
        var infos = await ReadKeysAsync(page, id => grains.GetGrain<IApiKeyGrain>(id).Get());
        var keys = infos.Where(info => info.TenantId == tenantId && info.PoolId is null)
            .Select(info => new ApiKeySummary(info.KeyId, tenantId, info.CreatedAt, info.RevokedAt)).ToList();
        return Paging.Page(context, keys, ids.Count > size ? page[^1] : null);
    }

    /// <summary>One of the tenant's keys, revoked or not (never the key text); 404 for a key of another tenant or none.</summary>
    private static async Task<IResult> Get(HttpContext context, string tenantId, string keyId, IGrainFactory grains)
    {
        // GetConfig answers unknown_tenant (404) for a tenant that does not exist, as the list does.
        await grains.GetGrain<ITenantGrain>(tenantId).GetConfig();
        return ApiKeyText.IsKeyId(keyId) && await grains.GetGrain<IApiKeyGrain>(keyId).Get() is { PoolId: null } info && info.TenantId == tenantId
            ? TypedResults.Ok(new ApiKeySummary(info.KeyId, tenantId, info.CreatedAt, info.RevokedAt))
            : Problem.NotFound(context, $"Tenant '{tenantId}' has no API key '{keyId}'.");
    }

    /// <summary>What <paramref name="read"/> answers for each key id, in order, <see cref="KeysReadAtOnce"/> at a time; nulls left out.</summary>
    internal static async Task<List<T>> ReadKeysAsync<T>(IEnumerable<string> ids, Func<string, Task<T?>> read)
        where T : class
    {
        var found = new List<T>();
        foreach (var batch in ids.Chunk(KeysReadAtOnce))
        {
            found.AddRange((await Task.WhenAll(batch.Select(read))).OfType<T>());
        }

        return found;
    }

    private static async Task<IResult> Issue(string tenantId, IGrainFactory grains, CallerResolver callers)
    {
        // Recorded in the tenant first, which fails with unknown_tenant (404) when it does not exist, so that deleting
        // the tenant revokes the key even when this request stops before the key is stored.
        var (keyId, secret, text) = ApiKeyText.NewKey();
        await grains.GetGrain<ITenantGrain>(tenantId).AddApiKey(keyId);
        var info = await grains.GetGrain<IApiKeyGrain>(keyId).Register(tenantId, ApiKeyText.Hash(secret));
        callers.Know(keyId);
        return TypedResults.Created($"/v1/tenants/{tenantId}/api-keys/{keyId}", new IssuedApiKey(keyId, tenantId, text, info.CreatedAt));
    }

    private static async Task<IResult> Revoke(HttpContext context, string tenantId, string keyId, IGrainFactory grains, CallerResolver callers) =>
        await RevokeAsync(keyId, info => info.TenantId == tenantId && info.PoolId is null, grains, callers)
            ? TypedResults.NoContent()
            : Problem.NotFound(context, $"Tenant '{tenantId}' has no live API key '{keyId}'.");

    /// <summary>
    /// Revokes a live key that <paramref name="owned"/> says belongs where the route says, and forgets it on this
    /// gateway at once; false when there is no such key (an unknown id, another owner's, or revoked already).
    /// </summary>
    internal static async Task<bool> RevokeAsync(string keyId, Func<ApiKeyInfo, bool> owned, IGrainFactory grains, CallerResolver callers)
    {
        if (!ApiKeyText.IsKeyId(keyId))
        {
            return false;
        }

        var key = grains.GetGrain<IApiKeyGrain>(keyId);
        if (await key.Get() is not { RevokedAt: null } info || !owned(info))
        {
            return false;
        }

        try
        {
            await key.Revoke();
        }
        finally
        {
            // Also when the revoke failed or timed out: it may have happened all the same.
            callers.Forget(keyId);
        }

        return true;
    }
}
