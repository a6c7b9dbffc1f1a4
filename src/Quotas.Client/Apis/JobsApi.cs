using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>A tenant's jobs in a pool: submit, read, list, cancel; and the tenant's standing in the pool.</summary>
public sealed class JobsApi
{
    private readonly ApiTransport _api;

    internal JobsApi(ApiTransport api) => _api = api;

    /// <summary>
    /// Submits a job. The call carries an idempotency key (a new one when none is given), so a retried submit never
    /// queues the job twice; pass your own key to make a resubmission after a crash safe as well.
    /// </summary>
    public Task<Job> SubmitAsync(string tenantId, string poolId, NewJob job, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var body = new { demand = job.Demand, priority = job.Priority, estimatedDurationSeconds = job.EstimatedDuration?.TotalSeconds };
        return _api.SendAsync<Job>(HttpMethod.Post, JobsPath(tenantId, poolId), body, ApiTransport.IdempotencyKeyOrNew(idempotencyKey, nameof(idempotencyKey)), cancellationToken);
    }

    public Task<Job> GetAsync(string tenantId, string poolId, long jobId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<Job>(HttpMethod.Get, $"{JobsPath(tenantId, poolId)}/{jobId}", null, null, cancellationToken);

    /// <summary>Cancels a queued or running job; answers the job as it is afterwards.</summary>
    public Task<Job> CancelAsync(string tenantId, string poolId, long jobId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<Job>(HttpMethod.Delete, $"{JobsPath(tenantId, poolId)}/{jobId}", null, null, cancellationToken);

    public IAsyncEnumerable<Job> ListAsync(string tenantId, string poolId, int pageSize = 100, CancellationToken cancellationToken = default) =>
        _api.ListAsync<Job>(JobsPath(tenantId, poolId), pageSize, cancellationToken);

    /// <summary>The tenant's standing in the pool: what it holds and waits for, its weight and its key in the fair order.</summary>
    public Task<PoolUsage> GetPoolUsageAsync(string tenantId, string poolId, CancellationToken cancellationToken = default) =>
        _api.SendAsync<PoolUsage>(HttpMethod.Get, PoolPath(tenantId, poolId) + "/usage", null, null, cancellationToken);

    private static string JobsPath(string tenantId, string poolId) => PoolPath(tenantId, poolId) + "/jobs";

    private static string PoolPath(string tenantId, string poolId) => Paths.Tenant(tenantId) + "/pools/" + Paths.Segment(poolId, nameof(poolId));
}
