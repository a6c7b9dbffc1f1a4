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

    /// <summary>The set with every change made, stored or not.</summary>
    private SortedSet<string>? _ids;

    /// <summary>The ids as last stored, in order: what a list shows and what memory goes back to after a failed write.</summary>
    private List<string> _stored = [];

    public TenantDirectoryGrain([PersistentState("directory")] IPersistentState<TenantDirectoryState> state)
    {
        _state = state;
        _commit = new GroupCommit(WriteAsync, Restore);
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _stored = [.. _state.State.Ids.Order(StringComparer.Ordinal)];
        return Task.CompletedTask;
    }

    private SortedSet<string> Ids => _ids ??= new SortedSet<string>(_stored, StringComparer.Ordinal);

    public Task Add(string tenantId) => Ids.Add(tenantId) ? _commit.PersistAsync() : _commit.SettledAsync();

    public Task Remove(string tenantId) => Ids.Remove(tenantId) ? _commit.PersistAsync() : _commit.SettledAsync();

    /// <summary>A page of the ids as stored: a change whose write has not succeeded yet is not listed.</summary>
    public Task<IReadOnlyList<string>> List(string? after, int limit)
    {
        var from = 0;
        if (after is not null)
        {
            var found = _stored.BinarySearch(after, StringComparer.Ordinal);
            from = found >= 0 ? found + 1 : ~found;
        }

        var count = Math.Min(Math.Clamp(limit, 1, 1000), _stored.Count - from);
        return Task.FromResult<IReadOnlyList<string>>(_stored.GetRange(from, count));
    }

    private async Task WriteAsync()
    {
        List<string> ids = [.. Ids];
        _state.State.Ids = ids;
        try
        {
            await _state.WriteStateAsync();
            _stored = ids;
        }
        catch
        {
            _state.State.Ids = _stored;
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
