namespace Quotas.Core.Tenants;

/// <summary>Utilization of a quota crossed a threshold upward.</summary>
public sealed record QuotaAlert(long Sequence, DateTimeOffset At, QuotaKind Kind, string Quota, int ThresholdPercent, long Usage, long Limit);
