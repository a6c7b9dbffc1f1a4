using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>
/// The worker protocol (admin key): lease jobs that fit the worker's free capacity, keep them with heartbeats, and
/// complete them. These calls change the pool's state and carry no idempotency key, so they are not retried.
/// </summary>
public sealed class WorkersApi
{
    private readonly ApiTransport _api;

    internal WorkersApi(ApiTransport api) => _api = api;

    public Task<IReadOnlyList<JobLease>> LeaseJobsAsync(string poolId, string workerId, IReadOnlyDictionary<string, long> freeCapacity, TimeSpan leaseTtl, int maxJobs = 10, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(freeCapacity);
        var body = new { freeCapacity, leaseTtlSeconds = Paths.Seconds(leaseTtl, nameof(leaseTtl)), maxJobs };
        return _api.SendAsync<IReadOnlyList<JobLease>>(HttpMethod.Post, WorkerPath(poolId, workerId) + "/leases", body, null, cancellationToken);
    }

    /// <summary>Renews the leases of the jobs the worker still runs; the answer lists those to stop (preempt) and those lost.</summary>
    public Task<HeartbeatResult> HeartbeatAsync(string poolId, string workerId, IReadOnlyList<long> jobIds, TimeSpan leaseTtl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var body = new { jobIds, leaseTtlSeconds = Paths.Seconds(leaseTtl, nameof(leaseTtl)) };
        return _api.SendAsync<HeartbeatResult>(HttpMethod.Post, WorkerPath(poolId, workerId) + "/heartbeat", body, null, cancellationToken);
    }

    public Task<CompleteResult> CompleteAsync(string poolId, long jobId, JobOutcome outcome, IReadOnlyDictionary<string, long>? actualUsage = null, CancellationToken cancellationToken = default) =>
        _api.SendAsync<CompleteResult>(HttpMethod.Post, $"{Paths.Pool(poolId)}/jobs/{jobId}/complete", new { outcome, actualUsage }, null, cancellationToken);

    private static string WorkerPath(string poolId, string workerId) => Paths.Pool(poolId) + "/workers/" + Paths.Segment(workerId, nameof(workerId));
}
