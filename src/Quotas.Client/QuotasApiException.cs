using System.Net;

namespace Quotas.Client;

/// <summary>The API answered with an error. <see cref="Problem"/> holds its problem details (code, trace id, quota).</summary>
public class QuotasApiException : Exception
{
    public QuotasApiException()
        : this("The Quotas API answered with an error.")
    {
    }

    public QuotasApiException(string message)
        : base(message)
    {
        Problem = new QuotasProblem(null, null, null, message, null, null, null, null, null, []);
    }

    public QuotasApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problem = new QuotasProblem(null, null, null, message, null, null, null, null, null, []);
    }

    public QuotasApiException(HttpStatusCode statusCode, QuotasProblem problem)
        : this(statusCode, problem, null)
    {
    }

    public QuotasApiException(HttpStatusCode statusCode, QuotasProblem problem, TimeSpan? retryAfter)
        : base(Describe(statusCode, problem))
    {
        StatusCode = statusCode;
        Problem = problem;
        RetryAfter = retryAfter;
    }

    /// <summary>
    /// The key under <see cref="Exception.Data"/> of a lost connection's or a timeout's exception (not a
    /// <see cref="QuotasApiException"/>) that holds the idempotency key of the call that failed.
    /// </summary>
    public const string IdempotencyKeyData = "Idempotency-Key";

    public HttpStatusCode? StatusCode { get; }

    public QuotasProblem Problem { get; }

    /// <summary>
    /// The answer's Retry-After: when trying again can succeed (a 429, a 503 or a 409 whose wait was longer than the
    /// SDK's <see cref="QuotasClientOptions.MaxRetryDelay"/>, or retries used up); null when it had none.
    /// </summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// The idempotency key the call was sent with (the caller's, or the one the SDK made), null for a call without one:
    /// sending the same request again with it meets the first attempt's answer rather than running it twice.
    /// </summary>
    public string? IdempotencyKey { get; internal set; }

    /// <summary>The machine-readable error code, e.g. <c>not_found</c>, <c>rate_limited</c>.</summary>
    public string? Code => Problem.Code;

    private static string Describe(HttpStatusCode statusCode, QuotasProblem problem) =>
        $"{(int)statusCode} {problem.Code ?? problem.Title ?? statusCode.ToString()}: {problem.Detail ?? problem.Title}" +
        (problem.Instance is null ? "" : $" (at {problem.Instance})") +
        (problem.TraceId is null ? "" : $" (trace {problem.TraceId})");
}

/// <summary>
/// A quota refused the request: 429, or 507 for a storage quota. <see cref="QuotasApiException.RetryAfter"/> says when
/// trying again can succeed (null when waiting does not help); <see cref="RateLimit"/> carries the rate-limit fields when the quota is a rate.
/// </summary>
public sealed class QuotaExceededException : QuotasApiException
{
    public QuotaExceededException()
    {
    }

    public QuotaExceededException(string message)
        : base(message)
    {
    }

    public QuotaExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public QuotaExceededException(HttpStatusCode statusCode, QuotasProblem problem, TimeSpan? retryAfter, RateLimitState? rateLimit)
        : base(statusCode, problem, retryAfter)
    {
        RateLimit = rateLimit;
    }

    public RateLimitState? RateLimit { get; }

    /// <summary>The refusing quota's name.</summary>
    public string? Quota => Problem.Quota;
}

/// <summary>
/// A list of statements ended without the tenants in <see cref="Tenants"/>, whose stored state the service could not read
/// (an operator must repair it; retrying does not help). Every statement it could read was given before this.
/// </summary>
public sealed class StatementsIncompleteException : QuotasApiException
{
    public StatementsIncompleteException()
    {
    }

    public StatementsIncompleteException(string message)
        : base(message)
    {
    }

    public StatementsIncompleteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StatementsIncompleteException(IReadOnlyList<UnreadableTenant> tenants)
        : base(Describe(tenants))
    {
        Tenants = tenants;
    }

    public IReadOnlyList<UnreadableTenant> Tenants { get; } = [];

    private static string Describe(IReadOnlyList<UnreadableTenant> tenants)
    {
        ArgumentNullException.ThrowIfNull(tenants);
        return $"The statements of {tenants.Count} tenant(s) could not be read: {string.Join(", ", tenants.Select(t => t.TenantId))}. " +
               "Their stored state needs an operator's repair; the list is incomplete until then.";
    }
}
