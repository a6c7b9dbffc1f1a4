namespace Quotas.Core.Scheduling;

/// <summary>
/// The rule that a pool's guarantees fit in its capacity. Guarantees above the capacity cannot all be honoured: reclaim
/// never takes from a tenant below its guarantee, so the tenants that came first would keep what the others were
/// promised. The rule is checked on a change of the configuration, not on restore, so a pool stored before it still
/// loads and can then be corrected.
/// </summary>
public static class PoolGuarantees
{
    /// <summary>
    /// Throws <see cref="SchedulingException"/> (<c>invalid_pool_config</c>) naming the first resource whose guarantees
    /// exceed the capacity. With <paramref name="current"/>, the configuration being replaced, a change that leaves a
    /// resource over its capacity is still accepted when it does not add to the excess, so that a pool stored before
    /// the rule can be brought within it one change at a time.
    /// </summary>
    public static void EnsureFit(PoolConfig config, PoolConfig? current = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Capacity is null)
        {
            return; // The pool's own validation refuses it with its reason.
        }

        for (var i = 0; i < config.Capacity.Count; i++)
        {
            var name = config.Capacity.NameAt(i);
            var capacity = config.Capacity.AmountAt(i);
            var sum = Sum(config, name);
            if (sum > capacity && (current?.Capacity is null || sum - capacity > Sum(current, name) - current.Capacity[name]))
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.InvalidPoolConfig,
                    $"The tenants' guarantees add up to {sum} of '{name}', more than the pool's capacity of {capacity}; lower a guarantee or raise the capacity.");
            }
        }
    }

    private static long Sum(PoolConfig config, string resource)
    {
        var sum = 0L;
        foreach (var share in config.Tenants ?? [])
        {
            var amount = share?.Guaranteed?[resource] ?? 0;
            sum = amount > long.MaxValue - sum ? long.MaxValue : sum + amount;
        }

        return sum;
    }
}
