namespace Grains.Storage;

/// <summary>Read by the activation before its first call.</summary>
internal interface IActivationStateLoader
{
    Task ReadStateAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A grain's handle on one named state in one storage. A conflicting write deactivates the activation; a write after the
/// activation ended is refused (see <see cref="StorageFence"/>).
/// </summary>
internal sealed class PersistentState<TState> : IPersistentState<TState>, IActivationStateLoader
{
    private readonly GrainStateKey _key;
    private readonly IGrainStorage _storage;
    private readonly Func<TState> _createDefault;
    private readonly IGrainContext _owner;
    private readonly StorageFence _fence;

    public PersistentState(GrainStateKey key, IGrainStorage storage, Func<TState> createDefault, IGrainContext owner, StorageFence fence)
    {
        _key = key;
        _storage = storage;
        _createDefault = createDefault;
        _owner = owner;
        _fence = fence;
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
        _fence.Enter(_key);
        try
        {
            Etag = await _storage.WriteAsync(_key, State, Etag, ExpiresAt, cancellationToken);
            RecordExists = true;
        }
        catch (InconsistentStateException)
        {
            DeactivateOwner();
            throw;
        }
        finally
        {
            _fence.Exit();
        }
    }

    public async Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        _fence.Enter(_key);
        try
        {
            Etag = await _storage.ClearAsync(_key, Etag, ExpiresAt, cancellationToken);
            RecordExists = false;
            State = _createDefault();
        }
        catch (InconsistentStateException)
        {
            DeactivateOwner();
            throw;
        }
        finally
        {
            _fence.Exit();
        }
    }

    private void DeactivateOwner() => _owner.Deactivate(new DeactivationReason(
        DeactivationReasonCode.InconsistentState,
        $"The stored {_key} changed since it was read (ETag conflict)."));
}
