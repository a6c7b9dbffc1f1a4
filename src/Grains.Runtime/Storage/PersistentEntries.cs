namespace Grains.Storage;

/// <summary>
/// A grain's handle on one state kept as entries in one storage. A conflicting write deactivates the activation; a write
/// after the activation ended is refused (see <see cref="StorageFence"/>).
/// </summary>
internal sealed class PersistentEntries<TEntry> : IPersistentEntries<TEntry>, IActivationStateLoader
    where TEntry : class
{
    private readonly GrainStateKey _key;
    private readonly IGrainEntryStorage _storage;
    private readonly IGrainContext _owner;
    private readonly StorageFence _fence;
    private Dictionary<string, TEntry> _entries = new(StringComparer.Ordinal);

    public PersistentEntries(GrainStateKey key, IGrainEntryStorage storage, IGrainContext owner, StorageFence fence)
    {
        _key = key;
        _storage = storage;
        _owner = owner;
        _fence = fence;
    }

    public IReadOnlyDictionary<string, TEntry> Entries => _entries;

    public string? Etag { get; private set; }

    Task IActivationStateLoader.ReadStateAsync(CancellationToken cancellationToken) => ReadAsync(cancellationToken);

    public async Task ReadAsync(CancellationToken cancellationToken = default)
    {
        var stored = await _storage.ReadEntriesAsync<TEntry>(_key, cancellationToken);
        _entries = stored.Entries;
        Etag = stored.Etag;
    }

    public async Task WriteAsync(IReadOnlyCollection<KeyValuePair<string, TEntry?>> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        _fence.Enter(_key);
        try
        {
            Etag = await _storage.WriteEntriesAsync(_key, changes, Etag, cancellationToken);
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

        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                _entries.Remove(key);
            }
            else
            {
                _entries[key] = value;
            }
        }
    }

    public async Task ClearAsync(CancellationToken cancellationToken = default)
    {
        _fence.Enter(_key);
        try
        {
            Etag = await _storage.ClearEntriesAsync(_key, Etag, cancellationToken);
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

        _entries.Clear();
    }

    private void DeactivateOwner() => _owner.Deactivate(new DeactivationReason(
        DeactivationReasonCode.InconsistentState,
        $"The stored entries of {_key} changed since they were read (ETag conflict)."));
}
