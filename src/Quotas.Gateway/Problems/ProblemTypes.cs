namespace Quotas.Gateway.Problems;

/// <summary>
/// The stable <c>type</c> URIs of the API's problem details (RFC 9457); <c>docs/api.md</c> describes each. A refused
/// quota uses the IANA-registered <c>quota-exceeded</c> type of the IETF ratelimit-headers draft.
/// </summary>
public static class ProblemTypes
{
    private const string Base = "https://quotas.dev/problems/";

    public const string QuotaExceeded = "https://iana.org/assignments/http-problem-types#quota-exceeded";
    public const string Validation = Base + "validation";
    public const string MalformedRequest = Base + "malformed-request";
    public const string PayloadTooLarge = Base + "payload-too-large";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string TooManyRejectedKeys = Base + "too-many-rejected-keys";
    public const string NotFound = Base + "not-found";
    public const string Conflict = Base + "conflict";
    public const string IdempotencyKeyMismatch = Base + "idempotency-key-mismatch";
    public const string IdempotencyKeyInFlight = Base + "idempotency-key-in-flight";
    public const string StorageQuotaExceeded = Base + "storage-quota-exceeded";
    public const string Unavailable = Base + "unavailable";
    public const string Timeout = Base + "timeout";
    public const string Internal = Base + "internal";
}
