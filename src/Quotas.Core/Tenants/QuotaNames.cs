namespace Quotas.Core.Tenants;

/// <summary>Well-known quota names and the rule for client-named ones: <c>[a-z][a-z0-9_]{0,62}</c>.</summary>
/// <remarks>A well-known name a tenant does not configure is unlimited (absent means unlimited); any other name must be configured.</remarks>
public static class QuotaNames
{
    public const int MaxLength = 63;

    public const string CpuMillicores = "cpu_millicores";
    public const string MemoryMb = "memory_mb";
    public const string Workers = "workers";
    public const string ConcurrentJobs = "concurrent_jobs";
    public const string Connections = "connections";

    public const string Requests = "requests";
    public const string Bytes = "bytes";
    public const string Messages = "messages";

    public const string Jobs = "jobs";
    public const string CpuSeconds = "cpu_seconds";
    public const string MemoryMbSeconds = "memory_mb_seconds";
    public const string Cost = "cost";

    public const string StorageBytes = "storage_bytes";

    /// <summary>Well-known names per kind; each gets an unlimited definition when the tenant does not set one.</summary>
    public static IReadOnlyList<string> WellKnown(QuotaKind kind) => kind switch
    {
        QuotaKind.Gauge => s_gauges,
        QuotaKind.Rate => s_rates,
        QuotaKind.Budget => s_budgets,
        QuotaKind.ReportedGauge => s_reported,
        _ => [],
    };

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || name[0] is < 'a' or > 'z')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    public static void Validate(string? name)
    {
        if (!IsValid(name))
        {
            throw new QuotaValidationException(
                ValidationCodes.InvalidQuotaName,
                $"Quota name '{TenantId.Truncate(name)}' is invalid: use 1 to {MaxLength} characters of a-z, 0-9 and '_', starting with a letter.");
        }
    }

    private static readonly string[] s_gauges = [CpuMillicores, MemoryMb, Workers, ConcurrentJobs, Connections];
    private static readonly string[] s_rates = [Requests, Bytes, Messages];
    private static readonly string[] s_budgets = [Jobs, CpuSeconds, MemoryMbSeconds, Requests, Cost];
    private static readonly string[] s_reported = [StorageBytes];
}
