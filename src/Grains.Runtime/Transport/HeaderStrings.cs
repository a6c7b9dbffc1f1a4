using System.Collections.Concurrent;
using System.Text;

namespace Grains.Transport;

/// <summary>
/// Decodes the header strings that repeat on every request (interface names, grain types, silo addresses) to one
/// shared instance each, so a request does not allocate them again. Unbounded names (grain keys) are not interned.
/// </summary>
internal static class HeaderStrings
{
    private const int MaxInterned = 4096;
    private const int MaxInternedLength = 256;

    private static readonly ConcurrentDictionary<string, string> s_interned = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> s_lookup =
        s_interned.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0)
        {
            return "";
        }

        if (utf8.Length > MaxInternedLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        Span<char> chars = stackalloc char[MaxInternedLength];
        var count = Encoding.UTF8.GetChars(utf8, chars);
        var text = chars[..count];
        if (s_lookup.TryGetValue(text, out var interned))
        {
            return interned;
        }

        var value = text.ToString();
        return s_interned.Count < MaxInterned ? s_interned.GetOrAdd(value, value) : value;
    }
}
