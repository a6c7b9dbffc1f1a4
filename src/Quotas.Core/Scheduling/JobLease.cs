namespace Quotas.Core.Scheduling;

/// <summary>A job handed to a worker until <paramref name="ExpiresAt"/> unless renewed by a heartbeat.</summary>
public sealed record JobLease(JobId JobId, TenantId Tenant, ResourceVector Demand, int Priority, DateTimeOffset ExpiresAt, int Attempt);
