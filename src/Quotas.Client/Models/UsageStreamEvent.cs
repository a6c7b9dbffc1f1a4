namespace Quotas.Client;

/// <summary>One event of a tenant's usage stream (<see cref="UsageApi.StreamAsync"/>).</summary>
public abstract record UsageStreamEvent;

/// <summary>The tenant's stats, as <see cref="UsageApi.GetStatsAsync"/> reads them; sent at once and then every interval.</summary>
public sealed record UsageSnapshot(TenantStats Stats) : UsageStreamEvent;

/// <summary>An alert (a threshold crossed); each is given once, also across reconnections.</summary>
public sealed record UsageAlertRaised(QuotaAlert Alert) : UsageStreamEvent;
