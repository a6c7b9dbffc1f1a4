namespace Quotas.Core.Tenants;

public enum LimitType
{
    /// <summary>Never above the limit.</summary>
    Hard,

    /// <summary>Above the limit up to a ceiling for at most the max burst duration, then enforced like hard.</summary>
    Soft,

    /// <summary>No limit (stored as -1); usage is still tracked.</summary>
    Unlimited,
}
