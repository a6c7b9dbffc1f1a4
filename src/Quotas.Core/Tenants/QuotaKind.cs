namespace Quotas.Core.Tenants;

/// <summary>How a quota is consumed. Names are unique per kind: a <c>requests</c> rate and a <c>requests</c> budget coexist.</summary>
public enum QuotaKind
{
    /// <summary>Concurrency: acquired under a lease, released or expired.</summary>
    Gauge,

    /// <summary>Units per window (sliding window or token bucket); in memory, stored only when the tenant leaves memory gracefully.</summary>
    Rate,

    /// <summary>Cumulative per calendar day, week or month; reset exactly at the boundary.</summary>
    Budget,

    /// <summary>A gauge the client reports as an absolute value (storage bytes) instead of leasing.</summary>
    ReportedGauge,
}
