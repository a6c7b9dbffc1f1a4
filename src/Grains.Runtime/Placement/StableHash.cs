using System.Runtime.CompilerServices;

namespace Grains.Placement;

/// <summary>
/// A 64-bit hash that is the same in every process and on every machine (unlike string.GetHashCode), so that every
/// silo and client places a grain on the same silo. FNV-1a over UTF-16 code units, then a MurmurHash3 finaliser for
/// avalanche; not for security.
/// </summary>
public static class StableHash
{
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    public static ulong Of(GrainId grainId) => Finish(Add(Add(Add(OffsetBasis, grainId.Type), '/'), grainId.Key));

    public static ulong Of(string text) => Finish(Add(OffsetBasis, text));

    public static ulong Of(string text, int salt) => Finish(Add(Add(Add(OffsetBasis, text), '#'), (char)salt) ^ (ulong)salt);

    private static ulong Add(ulong hash, string text)
    {
        foreach (var c in text)
        {
            hash = Add(hash, c);
        }

        return hash;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Add(ulong hash, char c) => unchecked(((hash ^ (byte)c) * Prime ^ (byte)(c >> 8)) * Prime);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Finish(ulong hash)
    {
        unchecked
        {
            hash ^= hash >> 33;
            hash *= 0xff51afd7ed558ccd;
            hash ^= hash >> 33;
            hash *= 0xc4ceb9fe1a85ec53;
            hash ^= hash >> 33;
            return hash;
        }
    }
}
