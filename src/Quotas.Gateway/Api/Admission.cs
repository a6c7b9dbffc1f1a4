using System.Text.Json.Serialization;
using Quotas.Core.Tenants;

namespace Quotas.Gateway.Api;

public sealed record AcquireLeaseRequest(string Quota, long Amount, double TtlSeconds = 60);

public sealed record LeaseGranted(string LeaseId, string Quota, long Amount, DateTimeOffset ExpiresAt, long Remaining);

public sealed record RenewLeaseRequest(double TtlSeconds = 60);

public sealed record LeaseRenewed(string LeaseId, DateTimeOffset ExpiresAt);

// The service's most frequent call reads its body itself (JsonBody), and into a property rather than a constructor
// parameter, so that the serializer needs no argument buffers: both save allocations on every request.
public sealed record RateHitRequest
{
    [System.ComponentModel.DefaultValue(1L)]
    public long Cost { get; init; } = 1;

    /// <summary>Binds the optional body; the endpoint declares it for OpenAPI with <c>Accepts</c>.</summary>
    public static ValueTask<RateHitRequest?> BindAsync(Microsoft.AspNetCore.Http.HttpContext context) =>
        JsonBody.ReadOptionalAsync<RateHitRequest>(context, "RateHitRequest request");
}

/// <summary>The state of the rate quota after an admitted hit; the same numbers are in the RateLimit headers.</summary>
public sealed record RateHitResult(string Quota, long Limit, long Remaining, double ResetSeconds);

/// <summary>
/// Usage to record once per <paramref name="EventId"/> (or Idempotency-Key). <paramref name="OccurredAt"/>, when given, is
/// when it happened (ISO 8601; without an offset, UTC): the usage history and the statements count it then (in a month
/// whose statement is still open, at most 5 minutes ahead of the service's clock); the budgets count it now.
/// </summary>
public sealed record RecordUsageRequest(
    string Quota, long Amount, string? EventId = null, [property: JsonConverter(typeof(IsoTimeJsonConverter))] DateTimeOffset? OccurredAt = null);

public sealed record ReportGaugeRequest(long Value);

public sealed record StorageCheckRequest(long AdditionalBytes);

/// <summary>How much more a budget would be charged; the check consumes nothing.</summary>
public sealed record BudgetCheckRequest(long Amount);

/// <summary>One quota in force with what is used and left; <see cref="ResetAt"/> is set for budgets and rate windows.</summary>
public sealed record LimitEntry(string Quota, QuotaKind Kind, long Limit, long Used, long Remaining, DateTimeOffset? ResetAt);

public sealed record LimitsResponse(string TenantId, DateTimeOffset At, IReadOnlyList<LimitEntry> Limits);
