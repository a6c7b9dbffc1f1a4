namespace Quotas.LoadTest.Load;

/// <summary>
/// The tenant of every request, drawn once from Zipf(s) over the tenants (rank r has weight 1/r^s) with a fixed seed,
/// so that every target sees the same sequence of tenants.
/// </summary>
internal static class ZipfSequence
{
    /// <summary>Long enough that repeating it changes nothing measurable; a power of two so an index wraps with a mask.</summary>
    public const int Length = 1 << 20;

    public static int[] Create(int tenants, double exponent, int seed)
    {
        var cumulative = new double[tenants];
        var sum = 0.0;
        for (var rank = 1; rank <= tenants; rank++)
        {
            sum += Math.Pow(rank, -exponent);
            cumulative[rank - 1] = sum;
        }

        var random = new Random(seed);
        var sequence = new int[Length];
        for (var i = 0; i < sequence.Length; i++)
        {
            // Inverse of the cumulative distribution: the first tenant whose cumulative weight reaches the draw.
            var found = Array.BinarySearch(cumulative, random.NextDouble() * sum);
            sequence[i] = Math.Min(tenants - 1, found >= 0 ? found : ~found);
        }

        return sequence;
    }
}
