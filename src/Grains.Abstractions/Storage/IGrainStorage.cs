namespace Grains.Storage;

/// <summary>
/// A grain storage provider. Writes and clears use optimistic concurrency: they succeed only when the <c>etag</c> argument
/// matches the stored record (null means "no record yet") and return the new ETag; otherwise they throw
/// <see cref="InconsistentStateException"/>. A record written with an expiry time may be deleted by the storage some
/// time after it (a record written again takes the new time).
/// </summary>
public interface IGrainStorage
{
    Task<StoredState<TState>> ReadAsync<TState>(GrainStateKey key, CancellationToken cancellationToken);

    Task<string> WriteAsync<TState>(GrainStateKey key, TState state, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken);

    Task<string> ClearAsync(GrainStateKey key, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken);
}
