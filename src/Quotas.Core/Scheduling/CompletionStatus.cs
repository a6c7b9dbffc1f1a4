namespace Quotas.Core.Scheduling;

/// <summary>The answer to a completion report.</summary>
public enum CompletionStatus
{
    /// <summary>First report: the job is now terminal and its usage is counted (meter it).</summary>
    Completed,

    /// <summary>The job was already terminal: nothing was counted again.</summary>
    AlreadyCompleted,

    /// <summary>A preempted job went back to the queue.</summary>
    Requeued,
    NotFound,
}
