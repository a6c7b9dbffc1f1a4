using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Quotas.Gateway.Problems;

/// <summary>
/// Writes an error's problem details whatever the request's Accept header names. The framework's writer declines a
/// request that accepts no JSON (an event-stream client sends <c>Accept: text/event-stream</c>), which left such an
/// error without a body; every error of this API carries its problem details (RFC 9457 allows a problem body for a
/// request that did not ask for one).
/// </summary>
internal static class ProblemWriter
{
    public static async ValueTask<bool> WriteAsync(IProblemDetailsService problems, ProblemDetailsContext problem)
    {
        if (!await problems.TryWriteAsync(problem))
        {
            StatusProblems.Complete(problem);
            problem.ProblemDetails.Title ??= ReasonPhrases.GetReasonPhrase(problem.ProblemDetails.Status ?? problem.HttpContext.Response.StatusCode);
            await Problem.Result(problem.HttpContext, problem.ProblemDetails).ExecuteAsync(problem.HttpContext);
        }

        return true;
    }
}
