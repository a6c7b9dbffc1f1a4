namespace Quotas.Core.Scheduling;

/// <summary>
/// Renewed: leases extended. Preempt: stop these and report <see cref="JobOutcome.Preempted"/>.
/// Lost: not leased to this worker any more (expired, cancelled, unknown); stop them.
/// </summary>
public sealed record HeartbeatResult(IReadOnlyList<JobId> Renewed, IReadOnlyList<JobId> Preempt, IReadOnlyList<JobId> Lost);
