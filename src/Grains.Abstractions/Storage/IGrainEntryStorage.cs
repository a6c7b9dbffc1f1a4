namespace Grains.Storage;

/// <summary>
/// A grain storage that can also keep a state as separately stored entries (see <see cref="IPersistentEntries{TEntry}"/>).
/// One version covers all of a state's entries: a write or clear presents it (null: nothing stored yet), changes every
/// listed entry in one transaction and returns the next version, or throws <see cref="InconsistentStateException"/>
/// and changes nothing.
/// </summary>
public interface IGrainEntryStorage
{
    Task<StoredEntries<TEntry>> ReadEntriesAsync<TEntry>(GrainStateKey key, CancellationToken cancellationToken)
        where TEntry : class;

    Task<string> WriteEntriesAsync<TEntry>(GrainStateKey key, IReadOnlyCollection<KeyValuePair<string, TEntry?>> changes, string? etag, CancellationToken cancellationToken)
        where TEntry : class;

    Task<string> ClearEntriesAsync(GrainStateKey key, string? etag, CancellationToken cancellationToken);
}

/// <summary>
/// What a read found: every stored entry by key (a new dictionary with ordinal keys, the caller's to keep and change),
/// and the version (null when nothing was ever stored).
/// </summary>
public sealed record StoredEntries<TEntry>(Dictionary<string, TEntry> Entries, string? Etag)
    where TEntry : class;
