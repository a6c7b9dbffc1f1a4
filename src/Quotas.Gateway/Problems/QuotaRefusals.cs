using System.Globalization;
using Microsoft.AspNetCore.Http;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

namespace Quotas.Gateway.Problems;

/// <summary>
/// Answers for refused quotas: 429 with <c>Retry-After</c> and the draft's <c>quota-exceeded</c> problem type with
/// <c>violated-policies</c> (507 for a storage quota), and the structured <c>RateLimit-Policy</c> / <c>RateLimit</c>
/// fields of draft-ietf-httpapi-ratelimit-headers: with the window for rate quotas, on every answer of a hit, and with
/// the limit and what remains of it on every other 429 that knows them.
/// </summary>
public static class QuotaRefusals
{
    /// <summary>The reason code and the policy name of the per-tenant bound on usage event streams (<c>Quotas:Gateway:MaxEventStreamsPerTenant</c>).</summary>
    public const string TooManyStreamsForTenant = "too_many_streams_for_tenant";

    public const string StreamsPolicy = "event_streams";

    [ThreadStatic]
    private static (string Name, long Limit, long WindowSeconds, string Field)? s_lastPolicy;

    /// <summary>
    /// Sets <c>RateLimit-Policy: "q";q=100;w=60</c> and <c>RateLimit: "q";r=42;t=18</c>; nothing for unlimited
    /// quotas, nor for a suspended or deleted tenant, whose refusal no window ends: <c>r=0;t=0</c> would tell a client
    /// that follows the draft to try again at once. On a refused hit <c>t</c> is its <c>Retry-After</c>, the wait until
    /// that hit is admitted (a cost above 1 or a soft limit waits longer than for the oldest unit to leave), and is left
    /// out when no wait admits it (a cost above the limit).
    /// </summary>
    public static void SetRateLimitHeaders(HttpResponse response, in RateDecision decision, TimeSpan window)
    {
        if (decision.Limit < 0 || decision.ReasonCode is ReasonCodes.TenantSuspended or ReasonCodes.TenantDeleted)
        {
            return;
        }

        var name = decision.Quota;
        response.Headers["RateLimit-Policy"] = PolicyField(name, decision.Limit, Seconds(window));
        var reset = decision.Allowed ? decision.ResetAfter : decision.RetryAfter;
        response.Headers["RateLimit"] = reset is { } wait
            ? string.Create(CultureInfo.InvariantCulture, $"\"{name}\";r={decision.Remaining};t={Seconds(wait)}")
            : string.Create(CultureInfo.InvariantCulture, $"\"{name}\";r={decision.Remaining}");
    }

    /// <summary>
    /// The policy field, which changes only with the quota's definition: the thread's last one is reused when it is
    /// the same (tenants of one tier share their quotas, and a thread answers many hits in a row).
    /// </summary>
    private static string PolicyField(string name, long limit, long windowSeconds)
    {
        if (s_lastPolicy is { } last && last.Limit == limit && last.WindowSeconds == windowSeconds && string.Equals(last.Name, name, StringComparison.Ordinal))
        {
            return last.Field;
        }

        var field = string.Create(CultureInfo.InvariantCulture, $"\"{name}\";q={limit};w={windowSeconds}");
        s_lastPolicy = (name, limit, windowSeconds, field);
        return field;
    }

    /// <summary>429 (or 507 for storage) for a Queue or Deny decision.</summary>
    public static IResult Refused(HttpContext context, AdmissionDecision decision)
    {
        var (reason, quota, current, limit, retryAfter) = decision switch
        {
            AdmissionDecision.Queue q => (q.Reason, q.Quota, q.Current, q.Limit, (TimeSpan?)q.RetryAfter),
            AdmissionDecision.Deny d => (d.ReasonCode, d.Quota, d.Current, d.Limit, d.RetryAfter),
            _ => throw new ArgumentException("An allowed decision is not a refusal.", nameof(decision)),
        };
        return Refused(context, reason, quota, current, limit, retryAfter);
    }

    public static IResult Refused(HttpContext context, string reason, string quota, long? current, long? limit, TimeSpan? retryAfter)
    {
        var storage = reason == ReasonCodes.StorageQuotaExceeded;
        long? retryAfterSeconds = retryAfter is { } wait && !storage ? Seconds(wait) : null;
        if (retryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (!storage)
        {
            SetRefusalFields(context.Response, reason, quota, current, limit, retryAfterSeconds);
        }

        var problem = new QuotaProblem
        {
            Type = storage ? ProblemTypes.StorageQuotaExceeded : ProblemTypes.QuotaExceeded,
            Title = storage ? "Storage quota exceeded" : "Quota exceeded",
            Status = storage ? StatusCodes.Status507InsufficientStorage : StatusCodes.Status429TooManyRequests,
            Detail = Explain(reason, quota, current, limit),
            Instance = context.Request.Path,
            TraceId = Problem.TraceId(context),
            Code = reason,
            Quota = quota,
            ViolatedPolicies = [quota],
            Current = current,
            Limit = current is null ? null : limit,
            RetryAfterSeconds = retryAfterSeconds,
        };
        return SizedJson.Problem(problem, problem.Status);
    }

    /// <summary>
    /// The draft's fields on a refusal that did not set them already (rate-limit hits do, with their window): the quota
    /// and its limit (<c>q</c>; no <c>w</c>, as a gauge or a budget has no window of seconds) and what remains of it
    /// (<c>r</c>), with <c>t</c> when a wait is known. None for a suspended or deleted tenant (no wait ends that) or when
    /// the refusal carries no counts.
    /// </summary>
    private static void SetRefusalFields(HttpResponse response, string reason, string quota, long? current, long? limit, long? retryAfterSeconds)
    {
        if (current is not { } used || limit is not { } max || max < 0 || response.Headers.ContainsKey("RateLimit")
            || reason is ReasonCodes.TenantSuspended or ReasonCodes.TenantDeleted)
        {
            return;
        }

        var remaining = Math.Max(0, max - used);
        response.Headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"\"{quota}\";q={max}");
        response.Headers["RateLimit"] = retryAfterSeconds is { } wait
            ? string.Create(CultureInfo.InvariantCulture, $"\"{quota}\";r={remaining};t={wait}")
            : string.Create(CultureInfo.InvariantCulture, $"\"{quota}\";r={remaining}");
    }

    /// <summary>Whole seconds, rounded up so that a client that waits this long finds the capacity back.</summary>
    public static long Seconds(TimeSpan span) => span <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(span.TotalSeconds);

    private static string Explain(string reason, string quota, long? current, long? limit) => reason switch
    {
        ReasonCodes.TenantSuspended => "The tenant is suspended; every check is refused until it is activated.",
        ReasonCodes.RequestExceedsLimit => $"The request alone is larger than the limit of quota '{quota}' ({limit}); it can never be admitted.",
        ReasonCodes.QuotaExhausted => $"Quota '{quota}' is fully used by live leases ({current} of {limit}); retry after Retry-After or when a lease is released.",
        ReasonCodes.SoftBurstExpired => $"Quota '{quota}' has no soft burst left ({current} of {limit}): its burst has run out, or, for a rate, the window has not yet been back within its limit for a whole window since the last burst; only what fits the limit is admitted: retry after Retry-After or when a lease is released.",
        ReasonCodes.SoftGraceExpired => $"Quota '{quota}' has been over its soft limit ({current} of {limit}) for longer than its grace period, so the lease is not renewed; release it, and acquire again once usage is back under the limit.",
        ReasonCodes.TenantDeleted => "The tenant is being deleted; nothing more is admitted or renewed for it.",
        ReasonCodes.RateLimited => $"Rate quota '{quota}' is used up for the current window ({current} of {limit}); retry after Retry-After.",
        ReasonCodes.BudgetExhausted => $"Budget '{quota}' is used up for this period ({current} of {limit}); it resets at the period boundary.",
        ReasonCodes.StorageQuotaExceeded => $"Storage quota '{quota}' would be exceeded ({current} of {limit}).",
        TooManyStreamsForTenant =>
            $"The tenant already holds {current} usage event streams open on this gateway, as many as one tenant may ({limit}); close one, or poll its usage and alerts instead.",
        SchedulingErrorCodes.TenantQueueFull => $"The tenant's job queue in this pool is full ({current} of {limit} jobs queued, the pool's {quota}); retry after some of its jobs start.",
        _ => $"Quota '{quota}' refused the request ({reason}).",
    };
}
