using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Quotas.Gateway.Problems;

/// <summary>
/// Gives an error that was answered without a body (an unknown route, a method the route does not take) the same
/// problem details as every other error. This is what <c>UseStatusCodePages</c> does with a problem details service,
/// without the feature and the items dictionary it puts on every request (about 320 of the 1,757 bytes a rate-limit
/// hit allocated); when the rest of the pipeline completes synchronously it adds no state machine either.
/// </summary>
internal static class EmptyErrorProblems
{
    public static IApplicationBuilder UseProblemsForEmptyErrors(this IApplicationBuilder app)
    {
        var problems = app.ApplicationServices.GetRequiredService<IProblemDetailsService>();
        return app.Use(next => context =>
        {
            var handled = next(context);
            return handled.IsCompletedSuccessfully ? WriteIfEmpty(context, problems) : WriteAfterAsync(handled, context, problems);
        });
    }

    private static Task WriteIfEmpty(HttpContext context, IProblemDetailsService problems)
    {
        var response = context.Response;
        var isEmptyError = !response.HasStarted && response.StatusCode is >= 400 and < 600
            && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType);
        return isEmptyError
            ? ProblemWriter.WriteAsync(problems, new ProblemDetailsContext { HttpContext = context, ProblemDetails = { Status = response.StatusCode } }).AsTask()
            : Task.CompletedTask;
    }

    private static async Task WriteAfterAsync(Task handled, HttpContext context, IProblemDetailsService problems)
    {
        await handled;
        await WriteIfEmpty(context, problems);
    }
}
