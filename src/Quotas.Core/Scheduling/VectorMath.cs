namespace Quotas.Core.Scheduling;

/// <summary>Element-wise arithmetic on dense vectors of one layout.</summary>
internal static class VectorMath
{
    public static void Add(Span<long> target, ReadOnlySpan<long> amount)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] += amount[i];
        }
    }

    /// <summary>
    /// Adds non-negative amounts to a counter that only grows (usage summed over a pool's life): it stops at
    /// <see cref="long.MaxValue"/> rather than wrap round to a negative figure. A negative counter, one that an earlier
    /// version let wrap round, counts as stopped there too.
    /// </summary>
    public static void AddSaturating(Span<long> target, ReadOnlySpan<long> amount)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] = target[i] < 0 || amount[i] < 0 || amount[i] > long.MaxValue - target[i] ? long.MaxValue : target[i] + amount[i];
        }
    }

    public static void Subtract(Span<long> target, ReadOnlySpan<long> amount)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] -= amount[i];
        }
    }

    /// <summary>
    /// Adds to a sum over many vectors (a tenant's queued jobs), which a long could not hold: a queue of thousands of
    /// jobs, each up to the capacity, may sum past <see cref="long.MaxValue"/>, and a sum that wrapped round would read
    /// as nothing queued.
    /// </summary>
    public static void Add(Span<Int128> target, ReadOnlySpan<long> amount)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] += amount[i];
        }
    }

    public static void Subtract(Span<Int128> target, ReadOnlySpan<long> amount)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] -= amount[i];
        }
    }

    public static bool AnyPositive(ReadOnlySpan<long> vector)
    {
        foreach (var v in vector)
        {
            if (v > 0)
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsZero(ReadOnlySpan<long> vector) => !vector.ContainsAnyExcept(0L);
}
