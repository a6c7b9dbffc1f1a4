using Grains;
using Quotas.Contracts.Gateway;

namespace Quotas.Grains.Gateway;

/// <summary>
/// A sorted set of ids (tenants, pools, a pool's worker keys; see <see cref="ITenantDirectoryGrain"/>). One grain holds
/// each set: listing is an admin operation, and a sorted set of 100,000 ids is
/// a few megabytes; each create or delete rewrites the list (fine at admin rates, the reason not to use it per call).
/// </summary>
[GrainType("tenant-directory")]
public sealed class TenantDirectoryGrain([PersistentState("directory")] IPersistentState<TenantDirectoryState> state) : Grain, ITenantDirectoryGrain
{
    private SortedSet<string>? _ids;

    private SortedSet<string> Ids => _ids ??= new SortedSet<string>(state.State.Ids, StringComparer.Ordinal);

    public async Task Add(string tenantId)
    {
        if (Ids.Add(tenantId))
        {
            await PersistAsync();
        }
    }

    public async Task Remove(string tenantId)
    {
        if (Ids.Remove(tenantId))
        {
            await PersistAsync();
        }
    }

    public Task<IReadOnlyList<string>> List(string? after, int limit)
    {
        IEnumerable<string> from = Ids;
        if (after is not null)
        {
            from = Ids.Max is { } max && string.CompareOrdinal(max, after) > 0 ? Ids.GetViewBetween(after, max) : [];
        }

        var page = from.Where(id => id != after).Take(Math.Clamp(limit, 1, 1000)).ToList();
        return Task.FromResult<IReadOnlyList<string>>(page);
    }

    private async Task PersistAsync()
    {
        var stored = state.State.Ids;
        state.State.Ids = [.. Ids];
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Memory must not run ahead of storage: the next call rebuilds the set from what was stored.
            state.State.Ids = stored;
            _ids = null;
            throw;
        }
    }
}

public sealed class TenantDirectoryState
{
    public List<string> Ids { get; set; } = [];
}
