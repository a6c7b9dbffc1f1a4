namespace Quotas.Core.Tenants;

/// <summary>A tier's default quotas; a tenant's own definitions override them by (kind, name).</summary>
public sealed record TierProfile(Tier Tier, IReadOnlyList<QuotaDefinition> Quotas);

/// <summary>Built-in tier profiles. Requests are a sliding window of one minute in 10 buckets (6 s granularity).</summary>
public static class TierProfiles
{
    public static TierProfile Basic { get; } = Create(Tier.Basic, 1000, 512, 100);

    public static TierProfile Premium { get; } = Create(Tier.Premium, 2000, 1024, 500);

    public static TierProfile Enterprise { get; } = Create(Tier.Enterprise, 4000, 4096, 2000);

    /// <summary>Nothing set: every well-known quota is unlimited.</summary>
    public static TierProfile Unlimited { get; } = new(Tier.Unlimited, []);

    public static TierProfile For(Tier tier) => tier switch
    {
        Tier.Basic => Basic,
        Tier.Premium => Premium,
        Tier.Enterprise => Enterprise,
        Tier.Unlimited => Unlimited,
        _ => throw new QuotaValidationException(ValidationCodes.Invalid, $"Tier '{tier}' is unknown: use Basic, Premium, Enterprise or Unlimited."),
    };

    private static TierProfile Create(Tier tier, long cpuMillicores, long memoryMb, long requestsPerMinute) => new(
        tier,
        [
            QuotaDefinition.Gauge(QuotaNames.CpuMillicores, QuotaLimit.Hard(cpuMillicores)),
            QuotaDefinition.Gauge(QuotaNames.MemoryMb, QuotaLimit.Hard(memoryMb)),
            QuotaDefinition.SlidingWindow(QuotaNames.Requests, QuotaLimit.Hard(requestsPerMinute), TimeSpan.FromMinutes(1)),
        ]);
}
