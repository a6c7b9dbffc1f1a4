namespace Quotas.Core.Scheduling;

/// <summary>A pool's fixed index per resource, so hot paths work on dense <c>long[]</c> vectors.</summary>
internal sealed class ResourceLayout
{
    private readonly string[] _names;
    private ResourceVector? _lastVector;
    private long[]? _lastDense;

    public ResourceLayout(ResourceVector capacity)
    {
        _names = new string[capacity.Count];
        for (var i = 0; i < _names.Length; i++)
        {
            _names[i] = capacity.NameAt(i);
        }
    }

    public int Count => _names.Length;

    public string NameAt(int index) => _names[index];

    /// <summary>Dense form of <paramref name="vector"/>; <paramref name="unknown"/> names a resource the pool lacks.</summary>
    public bool TryToDense(ResourceVector vector, out long[] dense, out string? unknown) => TryToDense(vector, out dense, out unknown, remember: true);

    private bool TryToDense(ResourceVector vector, out long[] dense, out string? unknown, bool remember)
    {
        // Callers often pass one vector instance for many jobs: share its (never mutated) dense form.
        if (ReferenceEquals(vector, _lastVector))
        {
            dense = _lastDense!;
            unknown = null;
            return true;
        }

        dense = new long[_names.Length];
        for (var i = 0; i < vector.Count; i++)
        {
            var index = Array.BinarySearch(_names, vector.NameAt(i), StringComparer.Ordinal);
            if (index < 0)
            {
                unknown = vector.NameAt(i);
                return false;
            }

            dense[index] = vector.AmountAt(i);
        }

        if (remember)
        {
            _lastVector = vector;
            _lastDense = dense;
        }

        unknown = null;
        return true;
    }

    /// <summary>
    /// Dense form of the entries of <paramref name="vector"/> that name the pool's resources, other names ignored;
    /// null when none does.
    /// </summary>
    public long[]? PoolPart(ResourceVector vector)
    {
        long[]? dense = null;
        for (var i = 0; i < vector.Count; i++)
        {
            var index = Array.BinarySearch(_names, vector.NameAt(i), StringComparer.Ordinal);
            if (index >= 0)
            {
                (dense ??= new long[_names.Length])[index] = vector.AmountAt(i);
            }
        }

        return dense;
    }

    public long[] ToDense(ResourceVector vector, string what)
    {
        if (!TryToDense(vector, out var dense, out var unknown))
        {
            throw UnknownResource(unknown!, what);
        }

        return dense;
    }

    /// <summary>Dense form where an absent resource is <paramref name="absent"/> instead of zero.</summary>
    /// <remarks>
    /// Does not replace the remembered vector: a worker's free capacity between submissions would otherwise make every
    /// batch's next job demand convert (and allocate) afresh.
    /// </remarks>
    public long[] ToDense(ResourceVector vector, string what, long absent)
    {
        if (!TryToDense(vector, out var shared, out var unknown, remember: false))
        {
            throw UnknownResource(unknown!, what);
        }

        var dense = ReferenceEquals(shared, _lastDense) ? (long[])shared.Clone() : shared;
        for (var i = 0; i < dense.Length; i++)
        {
            if (!vector.Contains(_names[i]))
            {
                dense[i] = absent;
            }
        }

        return dense;
    }

    public ResourceVector ToVector(ReadOnlySpan<long> dense)
    {
        var entries = new KeyValuePair<string, long>[dense.Length];
        for (var i = 0; i < dense.Length; i++)
        {
            entries[i] = new(_names[i], dense[i]);
        }

        return ResourceVector.From(entries);
    }

    public SchedulingException UnknownResource(string name, string what) => new(
        SchedulingErrorCodes.UnknownResource,
        $"Resource '{name}' in {what} is not offered by this pool; use one of: {string.Join(", ", _names)}.");
}
