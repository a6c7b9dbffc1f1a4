namespace Quotas.Core.Tenants;

public enum RateAlgorithm
{
    /// <summary>Bucketed sliding window; the count is the sum of the last N buckets (see <see cref="SlidingWindowCounter"/>).</summary>
    SlidingWindow,

    /// <summary>Token bucket: refills at limit per window, holds up to burst tokens.</summary>
    TokenBucket,
}
