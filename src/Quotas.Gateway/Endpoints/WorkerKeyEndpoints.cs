using Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Quotas.Contracts.Gateway;
using Quotas.Core.Scheduling;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Endpoints;

/// <summary>
/// Worker keys of a pool (admin): a worker process holds one instead of the admin key, and it reaches its pool's
/// worker routes (lease, heartbeat, complete) and nothing else. Issued (the key text shown once) and revoked like
/// tenant keys; a pool's delete ends its keys.
/// </summary>
internal static class WorkerKeyEndpoints
{
    public static void MapWorkerKeyEndpoints(this RouteGroupBuilder v1)
    {
        var keys = v1.MapGroup("/pools/{poolId}/worker-keys").WithTags("Workers").RequireAdmin().NamesById();
        keys.MapPost("/", Issue).WithName("IssueWorkerKey").Produces<IssuedWorkerKey>(StatusCodes.Status201Created);
        keys.MapGet("/", List).WithName("ListWorkerKeys").IsPaged();
        keys.MapGet("/{keyId}", Get).WithName("GetWorkerKey").Produces<WorkerKeySummary>(StatusCodes.Status200OK);
        keys.MapDelete("/{keyId}", Revoke).WithName("RevokeWorkerKey").Produces(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> Issue(string poolId, IGrainFactory grains, CallerResolver callers)
    {
        // The pool's last deletion time is read before the pool is found to exist: a delete that ends after this read,
        // even one already running, changes it, and the key dies with the pool (see IApiKeyGrain.RegisterWorker).
        var pool = JobEndpoints.Pool(grains, poolId);
        var deletedAt = await pool.GetLastDeletedAt();
        if (await pool.GetConfig() is null)
        {
            throw new SchedulingException(SchedulingErrorCodes.UnknownPool, $"Pool '{poolId}' does not exist; create it before issuing its worker keys.");
        }

        // Listed before it is stored: a listing may name a key whose issue failed (it is skipped), never miss one.
        var (keyId, secret, text) = ApiKeyText.NewKey();
        await Directory(grains, poolId).Add(keyId);
        var info = await grains.GetGrain<IApiKeyGrain>(keyId).RegisterWorker(poolId, ApiKeyText.Hash(secret), deletedAt);
        callers.Know(keyId);
        return TypedResults.Created($"/v1/pools/{poolId}/worker-keys/{keyId}", new IssuedWorkerKey(keyId, poolId, text, info.CreatedAt));
    }

    /// <summary>
    /// The pool's worker keys in id order, each live or not: revoked (with the time), or ended by a delete of the pool
    /// since it was issued, which also lists the keys of a pool deleted earlier under the id. Keys issued by a gateway
    /// of an earlier release are not there.
    /// </summary>
    private static async Task<Page<WorkerKeySummary>> List(HttpContext context, string poolId, string? cursor, int? limit, IGrainFactory grains)
    {
        var size = Paging.Limit(limit);
        await RequirePoolAsync(grains, poolId);

        var ids = await Directory(grains, poolId).List(cursor, size);
        var keys = await ApiKeyEndpoints.ReadKeysAsync(ids, id => DescribeAsync(grains.GetGrain<IApiKeyGrain>(id)));
        return Paging.Page(context, keys.Where(key => key.PoolId == poolId).ToList(), ids.Count == size ? ids[^1] : null);
    }

    /// <summary>One of the pool's worker keys, live or not (never the key text); 404 for another pool's key or none.</summary>
    private static async Task<IResult> Get(HttpContext context, string poolId, string keyId, IGrainFactory grains)
    {
        await RequirePoolAsync(grains, poolId);

        return ApiKeyText.IsKeyId(keyId) && await DescribeAsync(grains.GetGrain<IApiKeyGrain>(keyId)) is { } key && key.PoolId == poolId
            ? TypedResults.Ok(key)
            : Problem.NotFound(context, $"Pool '{poolId}' has no worker key '{keyId}'.");
    }

    /// <summary>A worker key's summary; null when it was never stored (its issue stopped after it was listed).</summary>
    private static async Task<WorkerKeySummary?> DescribeAsync(IApiKeyGrain key)
    {
        if (await key.Get() is not { PoolId: { } pool } info)
        {
            return null;
        }

        bool? live;
        try
        {
            live = await key.IsLive();
        }
        catch (NotSupportedException)
        {
            // A key grain on a silo of an earlier release, during an upgrade: not known.
            live = null;
        }

        return new WorkerKeySummary(info.KeyId, pool, info.CreatedAt, info.RevokedAt, live);
    }

    /// <summary>Fails with unknown_pool (404) when the pool does not exist.</summary>
    private static async Task RequirePoolAsync(IGrainFactory grains, string poolId)
    {
        if (await JobEndpoints.Pool(grains, poolId).GetConfig() is null)
        {
            throw new SchedulingException(SchedulingErrorCodes.UnknownPool, $"Pool '{poolId}' does not exist; its worker keys ended with it.");
        }
    }

    private static ITenantDirectoryGrain Directory(IGrainFactory grains, string poolId) =>
        grains.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.WorkerKeysKeyPrefix + poolId);

    private static async Task<IResult> Revoke(HttpContext context, string poolId, string keyId, IGrainFactory grains, CallerResolver callers) =>
        await ApiKeyEndpoints.RevokeAsync(keyId, info => info.PoolId == poolId, grains, callers)
            ? TypedResults.NoContent()
            : Problem.NotFound(context, $"Pool '{poolId}' has no live worker key '{keyId}'.");
}
