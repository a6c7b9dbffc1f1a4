using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Quotas.Gateway.Auth;

namespace Quotas.Gateway.Problems;

/// <summary>Builds <c>application/problem+json</c> results with a stable type, a machine code and the trace id.</summary>
public static class Problem
{
    public static ProblemDetails Details(HttpContext context, int status, string type, string title, string detail, string? code = null)
    {
        // Sized for the most a problem carries (a refused quota's seven members), so that adding them never regrows it.
        var problem = new ProblemDetails
        {
            Status = status,
            Type = type,
            Title = title,
            Detail = detail,
            Instance = context.Request.Path,
            Extensions = new Dictionary<string, object?>(8, StringComparer.Ordinal),
        };
        problem.Extensions["traceId"] = TraceId(context);
        if (code is not null)
        {
            problem.Extensions["code"] = code;
        }

        return problem;
    }

    /// <summary>The W3C trace id when a tracer follows the request, else Kestrel's id of the request.</summary>
    public static string TraceId(HttpContext context) => Activity.Current?.Id ?? context.TraceIdentifier;

    /// <summary>The problem as a sized <c>application/problem+json</c> answer with the problem's status.</summary>
    public static IResult Result(HttpContext context, ProblemDetails problem) => SizedJson.Problem(context, problem);

    public static IResult NotFound(HttpContext context, string detail) =>
        Result(context, Details(context, StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found", detail, "not_found"));

    /// <summary>A 401 with its <c>WWW-Authenticate</c> challenge, which says whether the key was missing or rejected.</summary>
    public static IResult Unauthorized(HttpContext context, bool keyRejected)
    {
        context.Response.Headers.WWWAuthenticate = keyRejected ? BearerChallenge.KeyRejected : BearerChallenge.KeyMissing;
        var detail = keyRejected
            ? "The API key is not valid (mistyped, revoked or of a deleted tenant); send a valid key as 'Authorization: Bearer <key>'."
            : "Send an API key as 'Authorization: Bearer <key>'.";
        return Result(context, Details(context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized, "Unauthorized", detail, "unauthorized"));
    }

    /// <summary>
    /// A key left unchecked: its client address sent <see cref="GatewayOptions.MaxRejectedKeysPerMinute"/> keys that
    /// are not valid within a minute (see <see cref="RejectedKeyLimiter"/>).
    /// </summary>
    public static IResult KeyUnchecked(HttpContext context, TimeSpan wait)
    {
        context.Response.Headers.RetryAfter = AtLeastOneSecond(wait).ToString(CultureInfo.InvariantCulture);
        return Result(context, KeyUncheckedDetails(context, wait));
    }

    /// <summary>The problem of <see cref="KeyUnchecked"/> alone, for a response already started (an event stream).</summary>
    public static ProblemDetails KeyUncheckedDetails(HttpContext context, TimeSpan wait) =>
        Details(context, StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyRejectedKeys, "Too many keys that are not valid",
            $"This client address sent too many API keys that are not valid within a minute, so keys this gateway has not seen work are not checked "
            + $"from it for {AtLeastOneSecond(wait)} s. Check the key your client sends; a key that worked here before is still accepted.", "too_many_rejected_keys");

    private static long AtLeastOneSecond(TimeSpan wait) => Math.Max(1, QuotaRefusals.Seconds(wait));

    /// <summary>
    /// A key that may not call the route, told which key may: <paramref name="workerRoute"/> for a pool's worker
    /// routes (a worker key of that pool, or the admin key), else the admin key alone.
    /// </summary>
    public static IResult Forbidden(HttpContext context, bool workerRoute = false, bool workerKey = false) =>
        Result(context, Details(context, StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Forbidden",
            (workerRoute ? "This route needs a worker key of its pool (POST /v1/pools/{poolId}/worker-keys) or the admin key; "
                : "This route needs the admin key; ")
            + (workerKey ? "a worker key reaches its own pool's worker routes only." : "a tenant key cannot call it."), "forbidden"));

    public static IResult Validation(HttpContext context, string code, string detail) =>
        Result(context, Details(context, StatusCodes.Status400BadRequest, ProblemTypes.Validation, "Invalid request", detail, code));
}
