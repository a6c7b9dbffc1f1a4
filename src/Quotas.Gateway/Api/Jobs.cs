using Quotas.Core.Scheduling;

namespace Quotas.Gateway.Api;

public sealed record SubmitJobBody(ResourceVector Demand, int Priority = 0, double? EstimatedDurationSeconds = null);

public sealed record UpdateCapacityRequest(ResourceVector Capacity);

public sealed record LeaseJobsRequest(ResourceVector FreeCapacity, double LeaseTtlSeconds = 60, int MaxJobs = 10);

public sealed record HeartbeatRequest(IReadOnlyList<JobId> JobIds, double LeaseTtlSeconds = 60);

/// <summary>How a leased job ended, as its worker reports it.</summary>
/// <param name="Outcome">succeeded, failed, or preempted (the worker stopped the job; it is queued again).</param>
/// <param name="ActualUsage">
/// What the job held, under the pool's resource names (default: its demand), and what it consumed, under any other name
/// (cpu_ms, memory_mb_seconds, custom units): each amount named like one of the tenant's budgets is charged to it.
/// </param>
/// <param name="WorkerId">
/// The worker id the job was leased with. When given, a preempted report from a worker that no longer holds the lease
/// changes nothing and answers the status leaseLost; without it, a late report could requeue a job another worker runs.
/// </param>
public sealed record CompleteJobRequest(JobOutcome Outcome, ResourceVector? ActualUsage = null, string? WorkerId = null);

// Activations: the silo's count as of its last heartbeat (every 5 s by default); null before its first one.
public sealed record SiloInfo(string Address, string Status, int? Activations);
