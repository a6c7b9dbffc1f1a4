namespace Quotas.Core.Scheduling;

/// <summary>What a worker reports when it stops running a job.</summary>
public enum JobOutcome
{
    Succeeded,
    Failed,

    /// <summary>The worker stopped the job because it was marked for preemption; the job is queued again.</summary>
    Preempted,
}
