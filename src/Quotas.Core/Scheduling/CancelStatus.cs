namespace Quotas.Core.Scheduling;

/// <summary>The answer to a cancellation.</summary>
public enum CancelStatus
{
    Cancelled,
    AlreadyFinished,
    NotFound,
}
