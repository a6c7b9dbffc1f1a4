using System.Globalization;

namespace Grains;

/// <summary>The canonical string forms of grain keys and the rules they must follow.</summary>
public static class GrainKey
{
    /// <summary>The longest key accepted, in UTF-16 code units. Keys are stored and hashed on every call; longer natural keys should be hashed first.</summary>
    public const int MaxLength = 256;

    public static string Format(Guid key) => key.ToString("N");

    public static string Format(long key) => key.ToString(CultureInfo.InvariantCulture);

    public static void Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw new ArgumentException("A grain key must not be empty: pass a non-empty key to GetGrain.", nameof(key));
        }

        if (key.Length > MaxLength)
        {
            throw new ArgumentException(
                $"A grain key may be at most {MaxLength} characters long; this one has {key.Length}. Use a shorter key, for example a hash of the natural key.",
                nameof(key));
        }

        foreach (var c in key)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException(
                    $"A grain key must not contain control characters (found U+{(int)c:X4}); remove them from the key.",
                    nameof(key));
            }
        }

        if (UnpairedSurrogateAt(key) is { } at)
        {
            // Not text: storage would write it as U+FFFD (SQLite), so that two such keys share one row, or refuse it (PostgreSQL).
            throw new ArgumentException(
                $"A grain key must be valid UTF-16 text; it has an unpaired surrogate (U+{(int)key[at]:X4}) at position {at}. Pass the key as decoded text.",
                nameof(key));
        }
    }

    /// <summary>Where <paramref name="text"/> has a surrogate that is not half of a pair; null when it has none.</summary>
    public static int? UnpairedSurrogateAt(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return i;
            }
        }

        return null;
    }

    internal static Guid ParseGuid(GrainId id) =>
        Guid.TryParseExact(id.Key, "N", out var value)
            ? value
            : throw new InvalidOperationException($"Grain {id} does not have a Guid key.");

    internal static long ParseLong(GrainId id) =>
        long.TryParse(id.Key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidOperationException($"Grain {id} does not have an integer key.");
}
