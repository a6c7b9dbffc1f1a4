using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>
/// The worker protocol (the admin key, or a worker key of the pool): lease jobs that fit the worker's free capacity, keep them with heartbeats, and
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

    /// <summary>
    /// Reports how a job ended without saying which worker reports it. Prefer the overload with the worker id: with
    /// this one, a late Preempted report from a worker whose lease expired requeues the job while another worker runs it.
    /// </summary>
    public Task<CompleteResult> CompleteAsync(string poolId, long jobId, JobOutcome outcome, IReadOnlyDictionary<string, long>? actualUsage = null, CancellationToken cancellationToken = default) =>
        _api.SendAsync<CompleteResult>(HttpMethod.Post, CompletePath(poolId, jobId), new { outcome, actualUsage }, null, cancellationToken);

    /// <summary>
    /// Reports how a job ended, as the worker <paramref name="workerId"/> that leased it. A Preempted report after the
    /// worker lost the lease (it expired) changes nothing and answers <see cref="CompletionStatus.LeaseLost"/>: drop the
    /// job, another worker may run it. A late Succeeded or Failed report still completes the job, once.
    /// </summary>
    public Task<CompleteResult> CompleteAsync(string poolId, string workerId, long jobId, JobOutcome outcome, IReadOnlyDictionary<string, long>? actualUsage = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        return _api.SendAsync<CompleteResult>(HttpMethod.Post, CompletePath(poolId, jobId), new { outcome, actualUsage, workerId }, null, cancellationToken);
    }

    private static string CompletePath(string poolId, long jobId) => $"{Paths.Pool(poolId)}/jobs/{jobId}/complete";

    private static string WorkerPath(string poolId, string workerId) => Paths.Pool(poolId) + "/workers/" + Paths.Segment(workerId, nameof(workerId));
}
