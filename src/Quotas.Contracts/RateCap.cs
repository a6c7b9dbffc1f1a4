namespace Quotas.Contracts;

/// <summary>
/// A rate quota that an ancestor sets itself, and so caps for its whole subtree: <paramref name="TenantId"/> is the
/// nearest ancestor that does, which a descendant's hit of that name asks (see <see cref="ITenantGrain.HitRateForChild"/>).
/// </summary>
public sealed record RateCap(string Quota, string TenantId);
