namespace Quotas.Core.Scheduling;

/// <summary>
/// An idempotency key copied into a buffer its job record owns. Job records live long (a deep queue holds a million),
/// so pointing them at each caller's freshly allocated key string made every submission write a young object into an
/// old one; the garbage collector then spent most of a deep queue's time tracing those references. Records are
/// reused, and so are their buffers.
/// </summary>
internal readonly struct StoredKey(char[] buffer, int length)
{
    public ReadOnlySpan<char> Span => buffer.AsSpan(0, length);

    public override string ToString() => new(Span);
}

/// <summary>Ordinal comparison of stored keys, and lookups by the caller's key without copying it.</summary>
internal sealed class StoredKeyComparer : IEqualityComparer<StoredKey>, IAlternateEqualityComparer<ReadOnlySpan<char>, StoredKey>
{
    public static readonly StoredKeyComparer Instance = new();

    public bool Equals(StoredKey x, StoredKey y) => x.Span.SequenceEqual(y.Span);

    public int GetHashCode(StoredKey key) => string.GetHashCode(key.Span);

    public bool Equals(ReadOnlySpan<char> alternate, StoredKey other) => alternate.SequenceEqual(other.Span);

    public int GetHashCode(ReadOnlySpan<char> alternate) => string.GetHashCode(alternate);

    // Keys are only ever added from a job's own buffer.
    public StoredKey Create(ReadOnlySpan<char> alternate) => throw new NotSupportedException("Stored keys are added from their job's buffer.");
}
