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

    /// <summary>
    /// A preemption report named a worker that no longer holds the job's lease (it expired and the job was queued or
    /// leased again), or a report came for a job no worker has leased yet: nothing changed. The worker should drop the
    /// job; whoever holds it now keeps it.
    /// </summary>
    LeaseLost,
}
