namespace Grains.Storage;

/// <summary>
/// A grain storage provider. Writes and clears use optimistic concurrency: they succeed only when the <c>etag</c> argument
/// matches the stored record (null means "no record yet") and return the new ETag; otherwise they throw
/// <see cref="InconsistentStateException"/>.
/// </summary>
public interface IGrainStorage
{
    Task<StoredState<TState>> ReadAsync<TState>(GrainStateKey key, CancellationToken cancellationToken);

    Task<string> WriteAsync<TState>(GrainStateKey key, TState state, string? etag, CancellationToken cancellationToken);

    Task<string> ClearAsync(GrainStateKey key, string? etag, CancellationToken cancellationToken);
}
