namespace Grains;

/// <summary>
/// A piece of grain state kept as many small entries, each stored only when it changes, so a write costs what changed
/// rather than everything kept (a queue of a million jobs, say). Bound like <see cref="IPersistentState{TState}"/>: a
/// constructor parameter with <c>[PersistentState]</c>, read before the activation completes, written with optimistic
/// concurrency on <see cref="Etag"/>; a conflicting write throws <see cref="Storage.InconsistentStateException"/> and
/// deactivates the activation so that its next call starts from the stored entries.
/// </summary>
public interface IPersistentEntries<TEntry>
    where TEntry : class
{
    /// <summary>The entries as last read or written by this activation, by key. Changed only by a successful write.</summary>
    IReadOnlyDictionary<string, TEntry> Entries { get; }

    /// <summary>The version of the stored entries this view matches; null when nothing was ever stored.</summary>
    string? Etag { get; }

    Task ReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores every change at once or none: a value puts the entry under its key, null removes the key.</summary>
    Task WriteAsync(IReadOnlyCollection<KeyValuePair<string, TEntry?>> changes, CancellationToken cancellationToken = default);

    /// <summary>Removes every entry.</summary>
    Task ClearAsync(CancellationToken cancellationToken = default);
}
