namespace Quotas.Core.Tenants;

/// <summary>Checks over a tenant's ancestry. The grain orchestrates reservations on ancestors nearest first, and rolls back the ones
/// it made when a farther ancestor refuses.</summary>
public static class TenantHierarchy
{
    /// <summary>Most ancestors a tenant may have (parent, grandparent, ...): bounds the fan-out of one admission.</summary>
    public const int MaxDepth = 8;

    /// <summary>Ancestors of <paramref name="tenant"/>, nearest first, from a child-to-parent map.</summary>
    public static IReadOnlyList<TenantId> Ancestors(TenantId tenant, IReadOnlyDictionary<TenantId, TenantId> parents)
    {
        var result = new List<TenantId>();
        var current = tenant;
        while (parents.TryGetValue(current, out var parent))
        {
            if (parent == tenant || result.Contains(parent))
            {
                throw new QuotaValidationException(
                    ValidationCodes.HierarchyCycle,
                    $"Tenant '{tenant}' is its own ancestor (via '{current}'): choose a parent outside its descendants.");
            }

            result.Add(parent);
            if (result.Count > MaxDepth)
            {
                throw new QuotaValidationException(
                    ValidationCodes.HierarchyTooDeep,
                    $"Tenant '{tenant}' has more than {MaxDepth} ancestors: attach it to a tenant higher up.");
            }

            current = parent;
        }

        return result;
    }

    /// <summary>Would setting <paramref name="parent"/> as the parent of <paramref name="child"/> make a cycle or exceed the depth?
    /// Throws <see cref="QuotaValidationException"/> if so; call it before saving a new parent.</summary>
    public static void ValidateParent(TenantId child, TenantId parent, IReadOnlyDictionary<TenantId, TenantId> parents)
    {
        var proposed = new Dictionary<TenantId, TenantId>(parents) { [child] = parent };
        foreach (var tenant in proposed.Keys)
        {
            _ = Ancestors(tenant, proposed);
        }
    }

    /// <summary>Finds one cycle in the map, returned as the tenants on it; empty when there is none.</summary>
    public static IReadOnlyList<TenantId> FindCycle(IReadOnlyDictionary<TenantId, TenantId> parents)
    {
        var done = new HashSet<TenantId>();
        foreach (var start in parents.Keys)
        {
            var path = new List<TenantId>();
            var onPath = new HashSet<TenantId>();
            var current = start;
            while (!done.Contains(current) && onPath.Add(current))
            {
                path.Add(current);
                if (!parents.TryGetValue(current, out current))
                {
                    break;
                }
            }

            if (onPath.Contains(current) && !done.Contains(current) && parents.ContainsKey(path[^1]))
            {
                return path.Skip(path.IndexOf(current)).ToList();
            }

            done.UnionWith(path);
        }

        return [];
    }
}
