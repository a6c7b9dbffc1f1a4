using Quotas.Core.Scheduling;

namespace Quotas.Gateway.Api;

public sealed record SubmitJobBody(ResourceVector Demand, int Priority = 0, double? EstimatedDurationSeconds = null);

public sealed record UpdateCapacityRequest(ResourceVector Capacity);

public sealed record LeaseJobsRequest(ResourceVector FreeCapacity, double LeaseTtlSeconds = 60, int MaxJobs = 10);

public sealed record HeartbeatRequest(IReadOnlyList<JobId> JobIds, double LeaseTtlSeconds = 60);

public sealed record CompleteJobRequest(JobOutcome Outcome, ResourceVector? ActualUsage = null);

// Activations: the silo's count as of its last heartbeat (every 5 s by default); null (omitted) before its first one.
public sealed record SiloInfo(string Address, string Status, int? Activations);
