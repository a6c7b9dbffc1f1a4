namespace Grains.Storage;

/// <summary>
/// A grain's handle on one state kept as entries in one storage. A conflicting write deactivates the activation; a write
/// after the activation ended is refused, and writes run one at a time (see <see cref="StateWrites"/>).
/// </summary>
internal sealed class PersistentEntries<TEntry> : IPersistentEntries<TEntry>, IActivationStateLoader
    where TEntry : class
{
    private readonly GrainStateKey _key;
    private readonly IGrainEntryStorage _storage;
    private readonly IGrainContext _owner;
    private readonly StateWrites _writes;
    private Dictionary<string, TEntry> _entries = new(StringComparer.Ordinal);

    public PersistentEntries(GrainStateKey key, IGrainEntryStorage storage, IGrainContext owner, StorageFence fence)
    {
        _key = key;
        _storage = storage;
        _owner = owner;
        _writes = new StateWrites(key, fence);
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
        try
        {
            await _writes.RunAsync(
                async token =>
                {
                    Etag = await _storage.WriteEntriesAsync(_key, changes, Etag, token);
                    Apply(changes);
                },
                cancellationToken);
        }
        catch (InconsistentStateException)
        {
            DeactivateOwner();
            throw;
        }
    }

    private void Apply(IReadOnlyCollection<KeyValuePair<string, TEntry?>> changes)
    {
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
        try
        {
            await _writes.RunAsync(
                async token =>
                {
                    Etag = await _storage.ClearEntriesAsync(_key, Etag, token);
                    _entries.Clear();
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
        $"The stored entries of {_key} changed since they were read (ETag conflict)."));
}
