namespace Quotas.Core.Scheduling;

/// <summary>The answer to a completion report, with the job as it now is.</summary>
public sealed record CompleteResult(CompletionStatus Status, JobInfo? Job);
