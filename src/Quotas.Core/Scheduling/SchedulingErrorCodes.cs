namespace Quotas.Core.Scheduling;

/// <summary>The stable codes carried by <see cref="SchedulingException"/>.</summary>
public static class SchedulingErrorCodes
{
    public const string InvalidArgument = "invalid_argument";
    public const string InvalidResourceName = "invalid_resource_name";
    public const string InvalidTenantId = "invalid_tenant_id";
    public const string InvalidPoolConfig = "invalid_pool_config";
    public const string UnknownResource = "unknown_resource";
    public const string DemandEmpty = "demand_empty";
    public const string DemandNegative = "demand_negative";
    public const string DemandExceedsCapacity = "demand_exceeds_capacity";
    public const string DemandExceedsTenantLimit = "demand_exceeds_tenant_limit";
    public const string TenantNotInPool = "tenant_not_in_pool";

    /// <summary>The submitting tenant was deleted while the submission was on its way.</summary>
    public const string UnknownTenant = "unknown_tenant";

    /// <summary>The submitting tenant is suspended: it may submit again once activated.</summary>
    public const string TenantSuspended = "tenant_suspended";
    public const string TenantQueueFull = "tenant_queue_full";
    public const string PoolQueueFull = "pool_queue_full";
    public const string IdempotencyConflict = "idempotency_conflict";
    public const string InvalidCursor = "invalid_cursor";
    public const string UnknownPool = "unknown_pool";
    public const string PoolExists = "pool_exists";
    public const string PoolNotEmpty = "pool_not_empty";

    /// <summary>A change reached a pool while it was being deleted; retry once the delete has ended.</summary>
    public const string PoolBeingDeleted = "pool_being_deleted";

    /// <summary>
    /// The pool needed the submitting tenant's tier and could not read it (the tenant's silo did not answer); retry.
    /// </summary>
    public const string TenantUnavailable = "tenant_unavailable";
}
