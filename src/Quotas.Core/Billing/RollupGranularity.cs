namespace Quotas.Core.Billing;

/// <summary>The length of a usage bucket: a UTC hour, a UTC day or a calendar month in UTC.</summary>
public enum RollupGranularity
{
    Hour,
    Day,
    Month,
}

/// <summary>Usage of one meter (a budget's name) within the bucket starting at <paramref name="Start"/>.</summary>
public sealed record UsageBucket(string Meter, DateTimeOffset Start, long Amount);

/// <summary>
/// A tenant's usage buckets of one granularity that overlap [<paramref name="From"/>, <paramref name="To"/>), by meter
/// and oldest first within each; buckets with no usage are left out. The range is the one asked, cut to what is kept
/// and to the end of the current bucket; <paramref name="KeptFrom"/> is the start of the oldest
/// bucket still kept, so a caller knows where the history it asked for was cut.
/// </summary>
public sealed record UsageHistory(
    string TenantId,
    RollupGranularity Granularity,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset KeptFrom,
    IReadOnlyList<UsageBucket> Buckets);
