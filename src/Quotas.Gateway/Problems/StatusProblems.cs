using Microsoft.AspNetCore.Http;

namespace Quotas.Gateway.Problems;

/// <summary>
/// Completes the problem details the framework writes itself (unknown route, wrong method, body too large, wrong
/// content type) with the same stable type, code and trace id as the API's own problems.
/// </summary>
internal static class StatusProblems
{
    public static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Extensions.TryAdd("traceId", Problem.TraceId(context.HttpContext));
        if (problem.Extensions.ContainsKey("code"))
        {
            return;
        }

        var (type, code, detail) = Describe(problem.Status, problem.Detail);
        problem.Type = type;
        problem.Detail ??= detail;
        problem.Extensions["code"] = code;
    }

    /// <summary>The stable type, code and default detail of a status the framework answers by itself.</summary>
    public static (string Type, string Code, string Detail) Describe(int? status, string? detail) => status switch
    {
        StatusCodes.Status404NotFound => (ProblemTypes.NotFound, "not_found", "No such route; the API's routes are listed in /openapi/v1.json."),
        StatusCodes.Status405MethodNotAllowed => (ProblemTypes.MalformedRequest, "method_not_allowed", "The route does not take this HTTP method."),
        StatusCodes.Status413PayloadTooLarge => (ProblemTypes.PayloadTooLarge, "payload_too_large", "The request body is larger than the gateway accepts (Quotas:Gateway:MaxRequestBodyBytes)."),
        StatusCodes.Status415UnsupportedMediaType => (ProblemTypes.MalformedRequest, "unsupported_media_type", "Send the body as application/json."),
        >= 500 => (ProblemTypes.Internal, "internal", "The server failed; the trace id identifies the failure in the logs."),
        _ => (ProblemTypes.MalformedRequest, "malformed_request", detail ?? "The request is malformed."),
    };
}
