using System.Net;

namespace Quotas.Client.Http;

/// <summary>
/// When to try a call again and after how long. Only calls that are safe to repeat are retried: GET, PUT and DELETE,
/// and a POST only when it carries an Idempotency-Key. 429 and 503 are retried after their Retry-After (plus jitter, so
/// that refused clients do not return in step); a Retry-After longer than <see cref="QuotasClientOptions.MaxRetryDelay"/>,
/// or a 429 without one (waiting does not help), goes to the caller at once. A 409 with Retry-After (a request with
/// the same Idempotency-Key still running) is retried after it too; other conflicts are not. 502, 503 and 504 without
/// Retry-After and lost connections back off exponentially with full jitter; a 502 or 504 with one waits for the longer
/// of the two, and goes to the caller when it is longer than MaxRetryDelay.
/// </summary>
internal sealed class RetryPolicy(QuotasClientOptions options)
{
    public static bool IsRepeatable(HttpMethod method, bool hasIdempotencyKey) =>
        method == HttpMethod.Get || method == HttpMethod.Put || method == HttpMethod.Delete || method == HttpMethod.Head || hasIdempotencyKey;

    /// <summary>The wait before retry number <paramref name="retry"/> (1 for the first), or null to give up.</summary>
    public TimeSpan? DelayAfterResponse(int retry, bool repeatable, HttpStatusCode status, TimeSpan? retryAfter)
    {
        if (!repeatable || retry > options.MaxRetries)
        {
            return null;
        }

        return status switch
        {
            HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict => retryAfter is { } wait ? AfterServersWait(wait) : null,
            HttpStatusCode.ServiceUnavailable => retryAfter is { } wait ? AfterServersWait(wait) : Backoff(retry),
            // The backoff, but no sooner than a Retry-After the answer gave (the gateway's 504 asks for a second); one
            // longer than MaxRetryDelay goes to the caller, as for 503, rather than be retried before it ends.
            HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout => retryAfter is { } wait
                ? AfterServersWait(wait) is { } afterWait ? Max(Backoff(retry), afterWait) : null
                : Backoff(retry),
            _ => null,
        };
    }

    /// <summary>The wait before a retry after the connection failed, or null to give up.</summary>
    public TimeSpan? DelayAfterFailure(int retry, bool repeatable) =>
        repeatable && retry <= options.MaxRetries ? Backoff(retry) : null;

    private TimeSpan? AfterServersWait(TimeSpan wait)
    {
        if (wait > options.MaxRetryDelay)
        {
            return null;
        }

        // The jitter stays within MaxRetryDelay, the longest the SDK promises to wait.
        var withJitter = wait + (options.RetryBaseDelay * Random.Shared.NextDouble());
        return AtLeastOneMillisecond(withJitter < options.MaxRetryDelay ? withJitter : options.MaxRetryDelay);
    }

    private TimeSpan Backoff(int retry)
    {
        var ceiling = options.RetryBaseDelay * Math.Pow(2, retry - 1);
        if (ceiling > options.MaxRetryDelay)
        {
            ceiling = options.MaxRetryDelay;
        }

        return AtLeastOneMillisecond(ceiling * Random.Shared.NextDouble());
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    // A delay under a millisecond is no delay to Task.Delay, which counts whole milliseconds and starts no timer on the
    // options' TimeProvider for it; every retry waits on that provider, so that a test clock sees each one.
    private static TimeSpan AtLeastOneMillisecond(TimeSpan delay) => delay < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : delay;
}
