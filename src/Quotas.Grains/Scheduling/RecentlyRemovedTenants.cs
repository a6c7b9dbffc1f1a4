using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>
/// The tenants a pool removed lately (their tenant was being deleted), the latest <see cref="Capacity"/> of them: a
/// submission for one that cannot read its tenant may have been made for the deleted one, in flight while it was
/// deleted, and is refused as unavailable rather than taken. Bounded, so that a pool that lives through many tenant
/// deletions keeps memory for the latest only; one that can read its tenant learns the deletion from the tenant itself.
/// </summary>
internal sealed class RecentlyRemovedTenants
{
    public const int Capacity = 10_000;

    // The order of removal; a tenant removed again (or forgotten) leaves its older place behind, skipped when it comes
    // up and dropped when places left behind outnumber the tenants kept.
    private readonly Dictionary<TenantId, long> _latest = [];
    private Queue<(TenantId Tenant, long Removal)> _order = new();
    private long _removals;

    public int Count => _latest.Count;

    public bool Contains(TenantId tenant) => _latest.ContainsKey(tenant);

    public void Add(TenantId tenant)
    {
        _latest[tenant] = ++_removals;
        _order.Enqueue((tenant, _removals));
        while (_latest.Count > Capacity)
        {
            var (oldest, removal) = _order.Dequeue();
            if (IsLatest(oldest, removal))
            {
                _latest.Remove(oldest);
            }
        }

        if (_order.Count > 2 * Capacity)
        {
            _order = new Queue<(TenantId, long)>(_order.Where(place => IsLatest(place.Tenant, place.Removal)));
        }
    }

    /// <summary>The places in the order of removal, live or left behind: at most twice <see cref="Capacity"/>.</summary>
    internal int Places => _order.Count;

    /// <summary>Forgets a tenant read back as existing (created again since).</summary>
    public void Remove(TenantId tenant) => _latest.Remove(tenant);

    private bool IsLatest(TenantId tenant, long removal) => _latest.TryGetValue(tenant, out var latest) && latest == removal;
}
