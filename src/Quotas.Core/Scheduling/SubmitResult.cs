namespace Quotas.Core.Scheduling;

/// <summary>The job a submission refers to; <paramref name="Created"/> is false for a retried submission.</summary>
public sealed record SubmitResult(JobInfo Job, bool Created);
