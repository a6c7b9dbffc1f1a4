namespace Grains.Storage;

/// <summary>What a read found: the payload when one is stored, and the record's ETag (null when no record exists).</summary>
public readonly record struct StoredState<TState>(bool RecordExists, TState? State, string? Etag);
