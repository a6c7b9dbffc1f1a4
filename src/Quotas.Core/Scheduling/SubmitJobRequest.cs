namespace Quotas.Core.Scheduling;

/// <summary>A job to queue. A retry with the same tenant and idempotency key returns the same job.</summary>
/// <remarks>Priority: Higher runs first within the tenant; waiting raises it (aging).</remarks>
public sealed record SubmitJobRequest(
    TenantId Tenant,
    ResourceVector Demand,
    int Priority,
    string IdempotencyKey,
    TimeSpan? EstimatedDuration = null);
