namespace Grains;

/// <summary>
/// A piece of grain state kept in a grain storage. It is read before the activation completes; writes use optimistic
/// concurrency on <see cref="Etag"/> and throw <see cref="Storage.InconsistentStateException"/> on a conflict, which also
/// deactivates the activation so that its next call starts from the stored state.
/// </summary>
public interface IPersistentState<TState>
{
    TState State { get; set; }

    /// <summary>The version of the stored record this state was read from or last written as; null when nothing was ever stored.</summary>
    string? Etag { get; }

    /// <summary>True when a record with a payload is stored (false before the first write and after a clear).</summary>
    bool RecordExists { get; }

    /// <summary>
    /// When set, the stored record is no longer needed after this time: the storage may delete it some time later
    /// (the ADO.NET storage sweeps such records after a grace period), unless a later write moves the time. Applies
    /// from the next write or clear; read back with the state. Null (the default): kept until cleared.
    /// </summary>
    DateTimeOffset? ExpiresAt { get; set; }

    Task ReadStateAsync(CancellationToken cancellationToken = default);

    Task WriteStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes the stored payload and resets <see cref="State"/> to its default.</summary>
    Task ClearStateAsync(CancellationToken cancellationToken = default);
}
