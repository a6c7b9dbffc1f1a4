namespace Quotas.Core.Tenants;

/// <summary>Merges the layers that decide a tenant's quotas.</summary>
/// <remarks>
/// Precedence, per (kind, name): the tenant's own definitions, then the parent's effective quotas (a child inherits what it does
/// not set), then the tenant's tier profile, then unlimited for every well-known name. A parent's unlimited well-known quota is
/// not inherited (it is what "not set" looks like in an effective list), so the child's tier fills it in. The grain passes the parent's effective
/// list; a root tenant passes null. Usage still counts against every ancestor: the grain reserves on each (see
/// TenantQuotas.ReserveForChild), so a parent's limit caps the sum of its children whatever they inherit.
/// </remarks>
public static class EffectiveQuotas
{
    // Shared by every tenant: most tenants leave most well-known names unset.
    private static readonly QuotaDefinition[] s_unlimitedWellKnown = Enum.GetValues<QuotaKind>()
        .SelectMany(kind => QuotaNames.WellKnown(kind).Select(name => new QuotaDefinition(name, kind, QuotaLimit.Unlimited)))
        .ToArray();

    public static IReadOnlyList<QuotaDefinition> Merge(
        TierProfile profile,
        IReadOnlyList<QuotaDefinition> own,
        IReadOnlyList<QuotaDefinition>? parentEffective)
    {
        var result = new List<QuotaDefinition>();
        var seen = new HashSet<(QuotaKind, string)>();
        AddAll(own);
        foreach (var inherited in parentEffective ?? [])
        {
            // An unlimited well-known quota of the parent is "not set" there: the child's tier decides it.
            if (!inherited.Limit.IsUnlimited || !QuotaNames.WellKnown(inherited.Kind).Contains(inherited.Name))
            {
                Add(inherited);
            }
        }

        AddAll(profile.Quotas);
        AddAll(s_unlimitedWellKnown);
        return result;

        void AddAll(IReadOnlyList<QuotaDefinition> definitions)
        {
            foreach (var definition in definitions)
            {
                Add(definition);
            }
        }

        void Add(QuotaDefinition definition)
        {
            if (seen.Add((definition.Kind, definition.Name)))
            {
                result.Add(definition);
            }
        }
    }

    public static QuotaDefinition[] OfKind(IReadOnlyList<QuotaDefinition> effective, QuotaKind kind) =>
        effective.Where(q => q.Kind == kind).ToArray();
}
