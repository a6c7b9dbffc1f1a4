namespace Quotas.Core.Tenants;

public enum Tier
{
    Basic,
    Premium,
    Enterprise,
    Unlimited,
}
