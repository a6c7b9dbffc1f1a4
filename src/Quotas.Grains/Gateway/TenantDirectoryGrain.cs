using Grains;
using Quotas.Contracts.Gateway;

namespace Quotas.Grains.Gateway;

/// <summary>
/// A sorted set of ids (tenants, pools, a pool's worker keys; see <see cref="ITenantDirectoryGrain"/>). One grain holds
/// each set: listing is an admin operation, and a sorted set of 100,000 ids is a few megabytes. Every write stores the
/// whole set, so changes that arrive together share one (<see cref="GroupCommit"/>): a burst of creates, or the tenants
/// of a statements page dropping their ids at once, costs a few writes instead of one each.
/// </summary>
[GrainType("tenant-directory")]
[Reentrant]
public sealed class TenantDirectoryGrain : Grain, ITenantDirectoryGrain
{
    private readonly IPersistentState<TenantDirectoryState> _state;
    private readonly GroupCommit _commit;
    private SortedSet<string>? _ids;

    public TenantDirectoryGrain([PersistentState("directory")] IPersistentState<TenantDirectoryState> state)
    {
        _state = state;
        _commit = new GroupCommit(WriteAsync, Restore);
    }

    private SortedSet<string> Ids => _ids ??= new SortedSet<string>(_state.State.Ids, StringComparer.Ordinal);

    public Task Add(string tenantId) => Ids.Add(tenantId) ? _commit.PersistAsync() : _commit.SettledAsync();

    public Task Remove(string tenantId) => Ids.Remove(tenantId) ? _commit.PersistAsync() : _commit.SettledAsync();

    /// <summary>A page of the ids, as stored: a change whose write still runs is waited for, never listed ahead of it.</summary>
    public async Task<IReadOnlyList<string>> List(string? after, int limit)
    {
        await _commit.SettledAsync();
        IEnumerable<string> from = Ids;
        if (after is not null)
        {
            from = Ids.Max is { } max && string.CompareOrdinal(max, after) > 0 ? Ids.GetViewBetween(after, max) : [];
        }

        return from.Where(id => id != after).Take(Math.Clamp(limit, 1, 1000)).ToList();
    }

    private async Task WriteAsync()
    {
        var stored = _state.State.Ids;
        _state.State.Ids = [.. Ids];
        try
        {
            await _state.WriteStateAsync();
        }
        catch
        {
            _state.State.Ids = stored;
            throw;
        }
    }

    /// <summary>Memory must not run ahead of storage: after a failed write the set is rebuilt from what was stored.</summary>
    private void Restore() => _ids = null;
}

public sealed class TenantDirectoryState
{
    public List<string> Ids { get; set; } = [];
}
