using System.Globalization;

namespace Quotas.Gateway.Metrics;

/// <summary>
/// Renders a measurement's tags as Prometheus label text (<c>a="x",b="y"</c>: names sanitized and sorted, values
/// escaped) into a per-thread buffer, so that finding an existing series allocates nothing.
/// </summary>
internal static class LabelText
{
    private static readonly System.Buffers.SearchValues<char> s_nameChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    private static readonly System.Buffers.SearchValues<char> s_escaped = System.Buffers.SearchValues.Create("\\\"\n");

    [ThreadStatic]
    private static char[]? s_buffer;

    [ThreadStatic]
    private static KeyValuePair<string, object?>[]? s_sorted;

    /// <summary>The rendered labels; valid until this thread's next call.</summary>
    public static ReadOnlySpan<char> Render(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return [];
        }

        var sorted = s_sorted is { } cached && cached.Length >= tags.Length ? cached : s_sorted = new KeyValuePair<string, object?>[Math.Max(16, tags.Length)];
        tags.CopyTo(sorted);
        SortByName(sorted.AsSpan(0, tags.Length));

        var buffer = s_buffer ??= new char[256];
        var length = 0;

        // Where each label name written so far stands in the buffer (earlier labels never move).
        Span<Range> names = tags.Length <= 16 ? stackalloc Range[tags.Length] : new Range[tags.Length];
        var written = 0;
        for (var i = 0; i < tags.Length; i++)
        {
            // A label is left out when its value is empty (Prometheus reads an empty label as no label, so two such
            // lines would be one series twice), or when its name, sanitized, is one already written (a.b and a_b):
            // a repeated label name makes Prometheus refuse the whole scrape.
            var labelStart = length;
            if (length > 0)
            {
                Append(ref buffer, ref length, ',');
            }

            var nameStart = length;
            AppendName(ref buffer, ref length, sorted[i].Key);
            var nameLength = length - nameStart;
            Append(ref buffer, ref length, '=');
            Append(ref buffer, ref length, '"');
            var valueStart = length;
            AppendValue(ref buffer, ref length, sorted[i].Value);
            if (length == valueStart || nameLength == 0 || WrittenBefore(buffer, names[..written], buffer.AsSpan(nameStart, nameLength)))
            {
                length = labelStart;
                continue;
            }

            names[written++] = new Range(nameStart, nameStart + nameLength);

            Append(ref buffer, ref length, '"');
        }

        Array.Clear(sorted, 0, tags.Length);
        s_buffer = buffer;
        return buffer.AsSpan(0, length);
    }

    private static void SortByName(Span<KeyValuePair<string, object?>> tags)
    {
        // Insertion sort: a measurement has a handful of tags.
        for (var i = 1; i < tags.Length; i++)
        {
            var current = tags[i];
            var j = i - 1;
            while (j >= 0 && string.CompareOrdinal(tags[j].Key, current.Key) > 0)
            {
                tags[j + 1] = tags[j];
                j--;
            }

            tags[j + 1] = current;
        }
    }

    private static void AppendValue(ref char[] buffer, ref int length, object? value)
    {
        switch (value)
        {
            case null:
                return;
            case string text:
                AppendEscaped(ref buffer, ref length, text);
                return;
            case bool flag:
                AppendEscaped(ref buffer, ref length, flag ? "true" : "false");
                return;
            case ISpanFormattable formattable:
                Span<char> scratch = stackalloc char[64];
                if (formattable.TryFormat(scratch, out var written, default, CultureInfo.InvariantCulture))
                {
                    AppendEscaped(ref buffer, ref length, scratch[..written]);
                    return;
                }

                break;
        }

        AppendEscaped(ref buffer, ref length, Convert.ToString(value, CultureInfo.InvariantCulture));
    }

    /// <summary>Whether one of the label names at <paramref name="names"/> in <paramref name="buffer"/> is <paramref name="name"/>.</summary>
    private static bool WrittenBefore(ReadOnlySpan<char> buffer, ReadOnlySpan<Range> names, ReadOnlySpan<char> name)
    {
        foreach (var written in names)
        {
            if (buffer[written].SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A label name as Prometheus takes it: characters outside [a-zA-Z0-9_] become '_', and a leading digit gets one before it.</summary>
    private static void AppendName(ref char[] buffer, ref int length, string name)
    {
        if (name.Length > 0 && char.IsAsciiDigit(name[0]))
        {
            Append(ref buffer, ref length, '_');
        }

        var start = length;
        AppendRaw(ref buffer, ref length, name);
        // Each pass looks only past the character it replaced, so it ends whatever the set holds.
        var rest = buffer.AsSpan(start, name.Length);
        for (var i = rest.IndexOfAnyExcept(s_nameChars); i >= 0; i = rest.IndexOfAnyExcept(s_nameChars))
        {
            rest[i] = '_';
            rest = rest[(i + 1)..];
        }
    }

    private static void AppendEscaped(ref char[] buffer, ref int length, ReadOnlySpan<char> text)
    {
        // The common case, nothing to escape, is one copy.
        if (!text.ContainsAny(s_escaped))
        {
            AppendRaw(ref buffer, ref length, text);
            return;
        }

        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    Append(ref buffer, ref length, '\\');
                    Append(ref buffer, ref length, '\\');
                    break;
                case '"':
                    Append(ref buffer, ref length, '\\');
                    Append(ref buffer, ref length, '"');
                    break;
                case '\n':
                    Append(ref buffer, ref length, '\\');
                    Append(ref buffer, ref length, 'n');
                    break;
                default:
                    Append(ref buffer, ref length, c);
                    break;
            }
        }
    }

    private static void AppendRaw(ref char[] buffer, ref int length, ReadOnlySpan<char> text)
    {
        if (length + text.Length > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + text.Length));
        }

        text.CopyTo(buffer.AsSpan(length));
        length += text.Length;
    }

    private static void Append(ref char[] buffer, ref int length, char c)
    {
        if (length == buffer.Length)
        {
            Array.Resize(ref buffer, buffer.Length * 2);
        }

        buffer[length++] = c;
    }
}
