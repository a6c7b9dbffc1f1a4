using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway;

/// <summary>
/// A JSON answer sent with its <c>Content-Length</c>: the value is serialized before the headers go out, so the client
/// reads one sized body instead of a chunked one, and the server writes it in one piece. The framework's JSON results
/// stream (chunked); this is used where answers are small and frequent: rate-limit hits and every problem response.
/// Same serializer options as the rest of the API, so the bytes of the body are the same.
/// </summary>
public sealed class SizedJsonResult<T> : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>, IContentTypeHttpResult
{
    public SizedJsonResult(T value, int statusCode, string contentType)
    {
        Value = value;
        StatusCode = statusCode;
        ContentType = contentType;
    }

    public T Value { get; }

    public int StatusCode { get; }

    public string ContentType { get; }

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    object? IValueHttpResult.Value => Value;

    string? IContentTypeHttpResult.ContentType => ContentType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        SizedBody.Write(response, Value, ApiJson.Options);
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }
}

/// <summary>Factories for <see cref="SizedJsonResult{T}"/>.</summary>
public static class SizedJson
{
    private const string JsonContentType = "application/json; charset=utf-8";
    private const string ProblemContentType = "application/problem+json";

    /// <summary>200 with <paramref name="value"/> as the body.</summary>
    public static SizedJsonResult<T> Ok<T>(T value) => new(value, StatusCodes.Status200OK, JsonContentType);

    /// <summary>A problem body of the gateway's own type, complete already (it carries its trace id and code).</summary>
    internal static SizedJsonResult<T> Problem<T>(T problem, int status) => new(problem, status, ProblemContentType);

    /// <summary>The problem with its own status, completed like the problems the framework writes itself.</summary>
    public static SizedJsonResult<ProblemDetails> Problem(HttpContext context, ProblemDetails problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        StatusProblems.Complete(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
        return new(problem, problem.Status ?? StatusCodes.Status500InternalServerError, ProblemContentType);
    }
}
