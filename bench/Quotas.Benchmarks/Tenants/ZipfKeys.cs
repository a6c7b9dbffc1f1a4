namespace Quotas.Benchmarks.Tenants;

/// <summary>A precomputed sequence of tenant indexes drawn from a Zipf distribution (rank r has weight 1/r^s), fixed seed.</summary>
public static class ZipfKeys
{
    public static int[] Generate(int tenants, int count, double exponent = 1.0, int seed = 42)
    {
        var cdf = new double[tenants];
        var sum = 0.0;
        for (var r = 0; r < tenants; r++)
        {
            sum += 1.0 / Math.Pow(r + 1, exponent);
            cdf[r] = sum;
        }

        var random = new Random(seed);
        var keys = new int[count];
        for (var i = 0; i < count; i++)
        {
            var index = Array.BinarySearch(cdf, random.NextDouble() * sum);
            keys[i] = Math.Min(tenants - 1, index < 0 ? ~index : index);
        }

        return keys;
    }
}
