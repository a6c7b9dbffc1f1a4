namespace Quotas.Core.Scheduling;

/// <summary>Checks a <see cref="PoolConfig"/> and says exactly what to fix.</summary>
internal static class PoolConfigValidator
{
    public static void Validate(PoolConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Require(!string.IsNullOrWhiteSpace(config.Id), "Pool id is empty; give the pool a name.");
        Require(config.Capacity is { Count: > 0 }, "Pool capacity is empty; give at least one resource, e.g. cpu_millicores=4000.");
        for (var i = 0; i < config.Capacity.Count; i++)
        {
            Require(config.Capacity.AmountAt(i) > 0, $"Pool capacity of '{config.Capacity.NameAt(i)}' must be greater than 0.");
        }

        Require(config.Reserve is not null, "Pool reserve is null; use ResourceVector.Empty for none.");
        foreach (var (name, amount) in config.Reserve!.Entries)
        {
            Require(config.Capacity.Contains(name), $"Reserve names '{name}', which the pool's capacity does not offer.");
            Require(amount >= 0 && amount <= config.Capacity[name], $"Reserve of '{name}' must be between 0 and the capacity {config.Capacity[name]}.");
        }

        Require(config.MaxQueuedJobsPerTenant > 0, "MaxQueuedJobsPerTenant must be greater than 0.");
        Require(config.MaxQueuedJobsPerPool > 0, "MaxQueuedJobsPerPool must be greater than 0.");
        Require(config.MaxAttempts > 0, "MaxAttempts must be greater than 0.");
        Require(double.IsFinite(config.AgingPerSecond) && config.AgingPerSecond >= 0, "AgingPerSecond must be a finite number >= 0.");
        Require(config.HistoryBlend is >= 0 and <= 1, "HistoryBlend must be between 0 (off) and 1.");
        Require(config.UsageHalfLife > TimeSpan.Zero, "UsageHalfLife must be greater than zero.");
        Require(config.FinishedJobRetention >= TimeSpan.Zero, "FinishedJobRetention must not be negative.");
        Require(config.MaxFinishedJobs >= 0, "MaxFinishedJobs must be 0 or more.");
        Require(config.HoldCapacityAfter >= TimeSpan.Zero, "HoldCapacityAfter must not be negative; 0 holds capacity for a blocked job at once.");
        Require(config.Tenants is not null, "Tenants is null; use an empty list for none.");

        var seen = new HashSet<TenantId>();
        foreach (var share in config.Tenants!)
        {
            ValidateShare(config, share);
            Require(seen.Add(share.Tenant), $"Tenant '{share.Tenant}' is listed twice; list each tenant once.");
        }

        Require(config.Tiers is not null, "Tiers is null; use an empty list for none.");
        var tiers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tier in config.Tiers!)
        {
            ValidateTier(config, tier);
            Require(tiers.Add(tier.Tier), $"Tier '{tier.Tier}' is listed twice; list each tier once.");
        }
    }

    private static void ValidateTier(PoolConfig config, TierShare tier)
    {
        Require(tier is not null && IsTierName(tier.Tier), "A tier's settings need the tier's name, e.g. \"premium\": 1 to 32 characters of a-z.");
        Require(double.IsFinite(tier!.Weight) && tier.Weight > 0, $"Weight of tier '{tier.Tier}' must be a finite number greater than 0.");
        foreach (var (name, amount) in (tier.BorrowingLimit ?? ResourceVector.Empty).Entries)
        {
            Require(config.Capacity.Contains(name), $"Borrowing limit of tier '{tier.Tier}' names '{name}', which the pool does not offer.");
            Require(amount >= 0, $"Borrowing limit of tier '{tier.Tier}' for '{name}' must be >= 0.");
        }
    }

    private static bool IsTierName(string? name) => name is { Length: > 0 and <= 32 } && name.All(c => c is >= 'a' and <= 'z');

    public static void ValidateShare(PoolConfig config, TenantShare share)
    {
        Require(share is not null && TenantId.IsValid(share.Tenant.Value), "A tenant share needs a valid tenant id.");
        Require(double.IsFinite(share!.Weight) && share.Weight > 0, $"Weight of tenant '{share.Tenant}' must be a finite number greater than 0.");
        foreach (var (name, weight) in share.ResourceWeights ?? new Dictionary<string, double>())
        {
            Require(config.Capacity.Contains(name), $"Resource weights of tenant '{share.Tenant}' name '{name}', which the pool does not offer.");
            Require(double.IsFinite(weight) && weight > 0, $"Weight of '{name}' for tenant '{share.Tenant}' must be a finite number greater than 0.");
        }

        foreach (var (name, amount) in (share.Guaranteed ?? ResourceVector.Empty).Entries)
        {
            Require(config.Capacity.Contains(name), $"Guarantee of tenant '{share.Tenant}' names '{name}', which the pool does not offer.");
            Require(amount >= 0 && amount <= config.Capacity[name], $"Guarantee of tenant '{share.Tenant}' for '{name}' must be between 0 and the capacity {config.Capacity[name]}.");
        }

        foreach (var (name, amount) in (share.BorrowingLimit ?? ResourceVector.Empty).Entries)
        {
            Require(config.Capacity.Contains(name), $"Borrowing limit of tenant '{share.Tenant}' names '{name}', which the pool does not offer.");
            Require(amount >= 0, $"Borrowing limit of tenant '{share.Tenant}' for '{name}' must be >= 0.");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidPoolConfig, message);
        }
    }
}
