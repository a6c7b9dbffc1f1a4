using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>Resource pools (admin key): capacity, tenant shares and scheduling settings.</summary>
public sealed class PoolsApi
{
    private readonly ApiTransport _api;

    internal PoolsApi(ApiTransport api) => _api = api;

    public Task<Pool> CreateAsync(Pool pool, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return _api.SendAsync<Pool>(HttpMethod.Post, "v1/pools", pool, null, cancellationToken);
    }

    /// <summary>Every pool, by id, <paramref name="pageSize"/> per request.</summary>
    public IAsyncEnumerable<Pool> ListAsync(int pageSize = 100, CancellationToken cancellationToken = default) =>
        _api.ListAsync<Pool>("v1/pools", pageSize, cancellationToken);

    public Task<Pool> GetAsync(string poolId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<Pool>(HttpMethod.Get, Paths.Pool(poolId), null, null, cancellationToken);

    /// <summary>Replaces the whole configuration; queued and running jobs stay.</summary>
    public Task<Pool> ReplaceAsync(Pool pool, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return _api.SendAsync<Pool>(HttpMethod.Put, Paths.Pool(pool.Id), pool, null, cancellationToken);
    }

    public Task<Pool> UpdateCapacityAsync(string poolId, IReadOnlyDictionary<string, long> capacity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        return _api.SendAsync<Pool>(HttpMethod.Put, Paths.Pool(poolId) + "/capacity", new { capacity }, null, cancellationToken);
    }

    /// <summary>Every tenant's standing in the pool (listed, or that has used it), in tenant id order.</summary>
    public IAsyncEnumerable<PoolUsage> ListTenantsAsync(string poolId, int pageSize = 100, CancellationToken cancellationToken = default) =>
        _api.ListAsync<PoolUsage>(Paths.Pool(poolId) + "/tenants", pageSize, cancellationToken);

    /// <summary>Every tenant's jobs in the pool by id; only those in <paramref name="state"/> when given.</summary>
    public IAsyncEnumerable<Job> ListJobsAsync(string poolId, JobState? state = null, int pageSize = 100, CancellationToken cancellationToken = default)
    {
        if (state == JobState.Unknown)
        {
            throw new ArgumentException("JobState.Unknown stands for a state this SDK does not know; list by a named state, or pass null for all.", nameof(state));
        }

        return _api.ListAsync<Job>(Paths.Pool(poolId) + "/jobs" + (state is { } s ? "?state=" + s.ToString().ToLowerInvariant() : ""), pageSize, cancellationToken);
    }

    /// <summary>
    /// Issues a worker key of the pool: a worker process holds it instead of the admin key, and it reaches the pool's
    /// worker routes only. The key text is in the answer, once.
    /// </summary>
    public Task<IssuedWorkerKey> IssueWorkerKeyAsync(string poolId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<IssuedWorkerKey>(HttpMethod.Post, Paths.Pool(poolId) + "/worker-keys", null, null, cancellationToken);

    /// <summary>The pool's worker keys in id order, live or not (never the key text), <paramref name="pageSize"/> at a time.</summary>
    public IAsyncEnumerable<WorkerKeySummary> ListWorkerKeysAsync(string poolId, int pageSize = 100, CancellationToken cancellationToken = default) =>
        _api.ListAsync<WorkerKeySummary>(Paths.Pool(poolId) + "/worker-keys", pageSize, cancellationToken);

    /// <summary>One of the pool's worker keys, live or not (never the key text).</summary>
    public Task<WorkerKeySummary> GetWorkerKeyAsync(string poolId, string keyId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<WorkerKeySummary>(HttpMethod.Get, Paths.Pool(poolId) + "/worker-keys/" + Paths.Segment(keyId, nameof(keyId)), null, null, cancellationToken);

    public Task RevokeWorkerKeyAsync(string poolId, string keyId, CancellationToken cancellationToken = default) =>
        _api.SendAsync(HttpMethod.Delete, Paths.Pool(poolId) + "/worker-keys/" + Paths.Segment(keyId, nameof(keyId)), null, null, cancellationToken);

    /// <summary>Deletes an empty pool; <paramref name="force"/> also drops its queued and running jobs.</summary>
    public Task DeleteAsync(string poolId, bool force = false, CancellationToken cancellationToken = default) =>
        _api.SendAsync(HttpMethod.Delete, Paths.Pool(poolId) + (force ? "?force=true" : ""), null, null, cancellationToken, conflictMayBeOwnDelete: true);
}
