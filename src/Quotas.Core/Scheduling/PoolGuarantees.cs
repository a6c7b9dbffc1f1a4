namespace Quotas.Core.Scheduling;

/// <summary>
/// The rule that a pool's guarantees fit in its capacity. Guarantees above the capacity cannot all be honoured: reclaim
/// never takes from a tenant below its guarantee, so the tenants that came first would keep what the others were
/// promised. The rule is checked on a change of the configuration, not on restore, so a pool stored before it still
/// loads and can then be corrected.
/// </summary>
public static class PoolGuarantees
{
    /// <summary>Throws <see cref="SchedulingException"/> (<c>invalid_pool_config</c>) naming the first resource whose guarantees exceed the capacity.</summary>
    public static void EnsureFit(PoolConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Capacity is null)
        {
            return; // The pool's own validation refuses it with its reason.
        }

        for (var i = 0; i < config.Capacity.Count; i++)
        {
            var name = config.Capacity.NameAt(i);
            var sum = 0L;
            foreach (var share in config.Tenants ?? [])
            {
                sum = SaturatingAdd(sum, share?.Guaranteed?[name] ?? 0);
            }

            var capacity = config.Capacity.AmountAt(i);
            if (sum > capacity)
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.InvalidPoolConfig,
                    $"The tenants' guarantees add up to {sum} of '{name}', more than the pool's capacity of {capacity}; lower a guarantee or raise the capacity.");
            }
        }
    }

    private static long SaturatingAdd(long a, long b) => b > long.MaxValue - a ? long.MaxValue : a + b;
}
