using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// How pools were stored before they were kept as entries: the whole pool in one record. A pool found in this form is
/// moved into entries on activation and the old record is cleared; nothing writes this form any more.
/// </summary>
public sealed class LegacyPoolState
{
    public SchedulerSnapshot? Snapshot { get; set; }

    public Dictionary<long, List<string>>? TenantLeases { get; set; }
}
