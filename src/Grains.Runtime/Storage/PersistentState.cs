namespace Grains.Storage;

/// <summary>Read by the activation before its first call.</summary>
internal interface IActivationStateLoader
{
    Task ReadStateAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A grain's handle on one named state in one storage. A conflicting write deactivates the activation; a write after the
/// activation ended is refused, and writes run one at a time (see <see cref="StateWrites"/>).
/// </summary>
internal sealed class PersistentState<TState> : IPersistentState<TState>, IActivationStateLoader
{
    private readonly GrainStateKey _key;
    private readonly IGrainStorage _storage;
    private readonly Func<TState> _createDefault;
    private readonly IGrainContext _owner;
    private readonly StateWrites _writes;

    public PersistentState(GrainStateKey key, IGrainStorage storage, Func<TState> createDefault, IGrainContext owner, StorageFence fence)
    {
        _key = key;
        _storage = storage;
        _createDefault = createDefault;
        _owner = owner;
        _writes = new StateWrites(key, fence);
        State = createDefault();
    }

    public TState State { get; set; }

    public string? Etag { get; private set; }

    public bool RecordExists { get; private set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public async Task ReadStateAsync(CancellationToken cancellationToken = default)
    {
        var stored = await _storage.ReadAsync<TState>(_key, cancellationToken);
        State = stored.RecordExists && stored.State is not null ? stored.State : _createDefault();
        Etag = stored.Etag;
        RecordExists = stored.RecordExists;
        ExpiresAt = stored.ExpiresAt;
    }

    public async Task WriteStateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _writes.RunAsync(
                async token =>
                {
                    Etag = await _storage.WriteAsync(_key, State, Etag, ExpiresAt, token);
                    RecordExists = true;
                },
                cancellationToken);
        }
        catch (InconsistentStateException)
        {
            DeactivateOwner();
            throw;
        }
    }

    public async Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _writes.RunAsync(
                async token =>
                {
                    Etag = await _storage.ClearAsync(_key, Etag, ExpiresAt, token);
                    RecordExists = false;
                    State = _createDefault();
                },
                cancellationToken);
        }
        catch (InconsistentStateException)
        {
            DeactivateOwner();
            throw;
        }
    }

    private void DeactivateOwner() => _owner.Deactivate(new DeactivationReason(
        DeactivationReasonCode.InconsistentState,
        $"The stored {_key} changed since it was read (ETag conflict)."));
}
