namespace Grains.Storage;

/// <summary>
/// What a read found: the payload when one is stored, the record's ETag (null when no record exists), and the time
/// after which the storage may delete the record (null: kept until cleared).
/// </summary>
public readonly record struct StoredState<TState>(bool RecordExists, TState? State, string? Etag, DateTimeOffset? ExpiresAt = null);
