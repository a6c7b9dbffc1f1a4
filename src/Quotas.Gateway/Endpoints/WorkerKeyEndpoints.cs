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
        keys.MapDelete("/{keyId}", Revoke).WithName("RevokeWorkerKey").Produces(StatusCodes.Status204NoContent);
    }

    private static async Task<IResult> Issue(string poolId, IGrainFactory grains)
    {
        // The pool's last deletion time is read before the pool is found to exist: a delete that ends after this read,
        // even one already running, changes it, and the key dies with the pool (see IApiKeyGrain.RegisterWorker).
        var pool = JobEndpoints.Pool(grains, poolId);
        var deletedAt = await pool.GetLastDeletedAt();
        if (await pool.GetConfig() is null)
        {
            throw new SchedulingException(SchedulingErrorCodes.UnknownPool, $"Pool '{poolId}' does not exist; create it before issuing its worker keys.");
        }

        var (keyId, secret, text) = ApiKeyText.NewKey();
        var info = await grains.GetGrain<IApiKeyGrain>(keyId).RegisterWorker(poolId, ApiKeyText.Hash(secret), deletedAt);
        return TypedResults.Created($"/v1/pools/{poolId}/worker-keys/{keyId}", new IssuedWorkerKey(keyId, poolId, text, info.CreatedAt));
    }

    private static async Task<IResult> Revoke(HttpContext context, string poolId, string keyId, IGrainFactory grains, CallerResolver callers) =>
        await ApiKeyEndpoints.RevokeAsync(keyId, info => info.PoolId == poolId, grains, callers)
            ? TypedResults.NoContent()
            : Problem.NotFound(context, $"Pool '{poolId}' has no live worker key '{keyId}'.");
}
