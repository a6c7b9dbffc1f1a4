namespace Quotas.Core.Tenants;

/// <summary>
/// What one rate quota counted when its tenant left memory gracefully (its silo shut down, idle collection), with the
/// definition it counted under: the next activation counts on from it where the quota kept its name and shape (as a
/// configuration change does, see <see cref="RateBook.CarryOver"/>), so that a rolling restart does not hand every
/// tenant its limit again.
/// </summary>
/// <param name="Quota">The definition the counts were made under.</param>
/// <param name="Head">Sliding window: the number of its newest bucket (UTC ticks divided by the bucket's length).</param>
/// <param name="Buckets">Sliding window: what each bucket counts, oldest first, ending with bucket <paramref name="Head"/>.</param>
/// <param name="OverSince">Sliding window under a soft limit: since when its count is above the limit.</param>
/// <param name="BurstsResumeAt">Sliding window under a soft limit: no new burst starts before this.</param>
/// <param name="Tokens">Token bucket: its tokens at <paramref name="At"/>, exactly, in units of one token per window tick.</param>
/// <param name="At">Token bucket: when it last refilled.</param>
public sealed record RateCountsSnapshot(
    QuotaDefinition Quota,
    long? Head = null,
    long[]? Buckets = null,
    DateTimeOffset? OverSince = null,
    DateTimeOffset? BurstsResumeAt = null,
    long? Tokens = null,
    DateTimeOffset? At = null);
