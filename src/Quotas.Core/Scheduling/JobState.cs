namespace Quotas.Core.Scheduling;

/// <summary>Where a job is in its life. Succeeded, Failed, Cancelled and Expired are terminal.</summary>
public enum JobState
{
    Queued,
    Leased,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
}
