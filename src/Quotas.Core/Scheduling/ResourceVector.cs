using System.Text;
using System.Text.Json.Serialization;

namespace Quotas.Core.Scheduling;

/// <summary>An immutable amount per named resource, kept as arrays sorted by name; absent means zero.</summary>
[JsonConverter(typeof(ResourceVectorJsonConverter))]
public sealed class ResourceVector : IEquatable<ResourceVector>
{
    private readonly string[] _names;
    private readonly long[] _amounts;

    private ResourceVector(string[] names, long[] amounts)
    {
        _names = names;
        _amounts = amounts;
    }

    public static ResourceVector Empty { get; } = new([], []);

    /// <summary>Number of named entries (explicit zeros included).</summary>
    public int Count => _names.Length;

    /// <summary>The amount of <paramref name="name"/>, zero when absent.</summary>
    public long this[string name]
    {
        get
        {
            var i = Array.BinarySearch(_names, name, StringComparer.Ordinal);
            return i >= 0 ? _amounts[i] : 0;
        }
    }

    public bool Contains(string name) => Array.BinarySearch(_names, name, StringComparer.Ordinal) >= 0;

    public string NameAt(int index) => _names[index];

    public long AmountAt(int index) => _amounts[index];

    public IEnumerable<KeyValuePair<string, long>> Entries
    {
        get
        {
            for (var i = 0; i < _names.Length; i++)
            {
                yield return new(_names[i], _amounts[i]);
            }
        }
    }

    public static ResourceVector Of(params ReadOnlySpan<(string Name, long Amount)> entries)
    {
        var pairs = new KeyValuePair<string, long>[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            pairs[i] = new(entries[i].Name, entries[i].Amount);
        }

        return From(pairs);
    }

    /// <summary>Builds a vector; throws <see cref="SchedulingException"/> on an invalid or repeated name.</summary>
    public static ResourceVector From(IEnumerable<KeyValuePair<string, long>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToArray();
        if (list.Length == 0)
        {
            return Empty;
        }

        var names = new string[list.Length];
        var amounts = new long[list.Length];
        for (var i = 0; i < list.Length; i++)
        {
            ResourceName.Validate(list[i].Key);
            names[i] = list[i].Key;
            amounts[i] = list[i].Value;
        }

        Array.Sort(names, amounts, StringComparer.Ordinal);
        for (var i = 1; i < names.Length; i++)
        {
            if (names[i] == names[i - 1])
            {
                throw new SchedulingException(
                    SchedulingErrorCodes.InvalidResourceName,
                    $"Resource '{names[i]}' appears twice; give each resource once.");
            }
        }

        return new ResourceVector(names, amounts);
    }

    public bool Equals(ResourceVector? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        return other is not null && _names.AsSpan().SequenceEqual(other._names) && _amounts.AsSpan().SequenceEqual(other._amounts);
    }

    public override bool Equals(object? obj) => Equals(obj as ResourceVector);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (var i = 0; i < _names.Length; i++)
        {
            hash.Add(_names[i], StringComparer.Ordinal);
            hash.Add(_amounts[i]);
        }

        return hash.ToHashCode();
    }

    public override string ToString()
    {
        var sb = new StringBuilder("{");
        for (var i = 0; i < _names.Length; i++)
        {
            sb.Append(i == 0 ? " " : ", ").Append(_names[i]).Append('=').Append(_amounts[i]);
        }

        return sb.Append(" }").ToString();
    }
}
