using System.Text.Json;
using Grains;
using Grains.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Quotas.Core.Scheduling;
using Quotas.Core.Tenants;

using Quotas.Gateway.Idempotency;

namespace Quotas.Gateway.Problems;

/// <summary>
/// Turns every exception that leaves an endpoint into problem details: the stable codes of the domain's validation
/// errors map to 400, 403, 404, 409, 422 or 429; a client's malformed request to 400 or 413; cluster trouble (a silo down or
/// of another release) to 503 or 504; anything else to 500 (logged, with the trace id that the response carries).
/// </summary>
internal sealed partial class ExceptionProblems(IProblemDetailsService problems, ILogger<ExceptionProblems> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = Map(context, exception);
        // Refusals of an overloaded grain come in floods; the silo logs when its queue fills and when it drains.
        if (problem.Status >= StatusCodes.Status500InternalServerError && exception is not GrainOverloadedException)
        {
            LogServerError(logger, exception, context.Request.Method, context.Request.Path, problem.Status ?? 500, problem.Extensions["traceId"]);
        }

        // A timeout is retried like an unavailable cluster (docs/api.md): it says so the same way. So is a call that met a
        // pool's delete in progress, which ends within seconds (the call may be the retry of that very delete).
        if (problem.Status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout
            || exception is SchedulingException { Code: SchedulingErrorCodes.PoolBeingDeleted })
        {
            context.Response.Headers.RetryAfter = "1";
        }

        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return await ProblemWriter.WriteAsync(problems, new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    internal static ProblemDetails Map(HttpContext context, Exception exception) => exception switch
    {
        QuotaValidationException e => FromCode(context, e.Code, e.Message),
        SchedulingException e => FromCode(context, e.Code, e.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } e =>
            Problem.Details(context, 413, ProblemTypes.PayloadTooLarge, "Payload too large", e.Message, "payload_too_large"),
        BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => UnsupportedMediaType(context),
        BadHttpRequestException e => Problem.Details(context, 400, ProblemTypes.MalformedRequest, "Malformed request", Describe(e), "malformed_request"),
        JsonException e => Problem.Details(context, 400, ProblemTypes.MalformedRequest, "Malformed request", WithPath(e), "malformed_request"),
        // The calls waiting for the activation did not run, and the next one activates the grain afresh.
        GrainActivationTimeoutException => Problem.Details(context, 503, ProblemTypes.Unavailable, "Unavailable",
            "The cluster could not load this resource in time; the request did not run. Retry after the Retry-After delay.", "unavailable"),
        // Also a wait inside the cluster that ran out (a pool's bounded wait for a tenant, say): a timeout like a call's.
        TimeoutException => Problem.Details(context, 504, ProblemTypes.Timeout, "Timed out", "The cluster did not answer in time; retry.", "timeout"),
        // A silo of another release (a rolling upgrade in progress) does not serve the call yet; the upgrade ends it.
        UnknownGrainMethodException => Problem.Details(context, 503, ProblemTypes.Unavailable, "Unavailable",
            "Part of the cluster runs another release and cannot serve this request yet; retry after the Retry-After delay.", "unavailable"),
        // A stored row that no longer reads stays so until an operator repairs it: no Retry-After that invites a retry.
        Endpoints.UnreadableListedException e => Problem.Details(context, 500, ProblemTypes.Internal, "Internal error",
            $"{e.Message} This page would be incomplete, and retrying does not help: an operator must repair or remove the rows (the trace id identifies the failure in the logs). Meanwhile the rest is listed around them: {string.Join(", then ", e.Around)}.",
            "state_unreadable"),
        GrainStateSerializationException => Problem.Details(context, 500, ProblemTypes.Internal, "Internal error",
            "Stored state this request needs cannot be read, and retrying will not change that: an operator must repair or remove it (the trace id identifies the failure in the logs).",
            "state_unreadable"),
        // A grain had as many calls waiting as it queues: a retry after a moment may find room.
        GrainOverloadedException => Problem.Details(context, 503, ProblemTypes.Unavailable, "Unavailable",
            "The cluster has more requests for this resource waiting than it queues; retry after the Retry-After delay.", "overloaded"),
        GrainConnectionLostException or SiloUnavailableException or GrainStorageException => Problem.Details(context, 503, ProblemTypes.Unavailable,
            "Unavailable", "The cluster could not serve the request now; retry after the Retry-After delay.", "unavailable"),
        _ => Problem.Details(context, 500, ProblemTypes.Internal, "Internal error", "The server failed; the trace id identifies the failure in the logs.", "internal"),
    };

    private static ProblemDetails FromCode(HttpContext context, string code, string message) => code switch
    {
        // The caller is known but the pool does not admit its tenant; the detail names no other tenant.
        SchedulingErrorCodes.TenantNotInPool or SchedulingErrorCodes.TenantSuspended => Problem.Details(context, 403, ProblemTypes.Forbidden, "Forbidden", message, code),
        "unknown_tenant" or SchedulingErrorCodes.UnknownPool or "unknown_job" =>
            Problem.Details(context, 404, ProblemTypes.NotFound, "Not found", message, code),
        "tenant_exists" or "tenant_not_suspended" or "tenant_has_live_leases" or "lease_held_by_service" or SchedulingErrorCodes.PoolNotEmpty or SchedulingErrorCodes.PoolBeingDeleted or SchedulingErrorCodes.PoolExists or "api_key_exists" =>
            Problem.Details(context, 409, ProblemTypes.Conflict, "Conflict", message, code),
        // One code for a reused key, whoever noticed it: the gateway within the key's lifetime, or after it the pool
        // (a job's key) or the tenant (a usage event id).
        ValidationCodes.IdempotencyKeyConflict or SchedulingErrorCodes.IdempotencyConflict =>
            Problem.Details(context, 422, ProblemTypes.IdempotencyKeyMismatch, "Idempotency key reused", message, IdempotentRequest.MismatchCode),
        SchedulingErrorCodes.TenantQueueFull or SchedulingErrorCodes.PoolQueueFull => QueueFull(context, code, message),
        SchedulingErrorCodes.TenantUnavailable => Problem.Details(context, 503, ProblemTypes.Unavailable, "Unavailable", message, code),
        _ => Problem.Details(context, 400, ProblemTypes.Validation, "Invalid request", message, code),
    };

    /// <summary>
    /// A full queue is a quota like the others: the draft's quota-exceeded type names the violated policy, here the
    /// pool setting that bounds the queue. The submit route answers it with the counts (<see cref="QueueFullRefusal"/>);
    /// this answer, with the counts in the detail only, is for a refusal that reaches here without them.
    /// </summary>
    private static ProblemDetails QueueFull(HttpContext context, string code, string message)
    {
        var problem = Problem.Details(context, 429, ProblemTypes.QuotaExceeded, "Queue full", message, code);
        var policy = QueueFullRefusal.PolicyOf(code);
        problem.Extensions["quota"] = policy;
        problem.Extensions["violated-policies"] = new[] { policy };
        return problem;
    }

    /// <summary>The same answer as when the framework refuses the media type itself.</summary>
    private static ProblemDetails UnsupportedMediaType(HttpContext context)
    {
        var (type, code, detail) = StatusProblems.Describe(StatusCodes.Status415UnsupportedMediaType, null);
        return Problem.Details(context, StatusCodes.Status415UnsupportedMediaType, type, "Unsupported Media Type", detail, code);
    }

    /// <summary>The framework's opening of a body it could not read, which names the route's .NET parameter.</summary>
    private const string UnreadBody = "Failed to read parameter \"";

    /// <summary>
    /// The model binder's message, said in the API's terms (it names the route's .NET parameter), with the inner JSON
    /// error, which says where the body went wrong.
    /// </summary>
    private static string Describe(BadHttpRequestException e)
    {
        // No body ("Implicit body inferred for parameter ... but no body was provided"), or the JSON value null
        // ("Required parameter ... was not provided from body.").
        if (e.Message.StartsWith("Implicit body inferred for parameter \"", StringComparison.Ordinal)
            || (e.Message.StartsWith("Required parameter \"", StringComparison.Ordinal) && e.Message.EndsWith(" from body.", StringComparison.Ordinal)))
        {
            return "This route takes a JSON object body and got none (or null): send one; the route's schema in /openapi/v1.json gives its fields.";
        }

        if (s_unboundValue.Match(e.Message) is { Success: true } unbound)
        {
            return $"The value '{unbound.Groups["value"].Value}' of {unbound.Groups["name"].Value} is not {Expected(unbound.Groups["type"].Value)}: see this route's parameters in /openapi/v1.json.";
        }

        var message = e.Message.StartsWith(UnreadBody, StringComparison.Ordinal) ? "Failed to read the request body as this route's JSON." : e.Message;
        return e.InnerException is JsonException json ? $"{message} {WithPath(json)}" : message;
    }

    /// <summary>The binder's message for a query or route value of the wrong form, which names the .NET parameter and type.</summary>
    private static readonly System.Text.RegularExpressions.Regex s_unboundValue = new(
        """^Failed to bind parameter "(?<type>[^" ]+) (?<name>[^" ]+)" from "(?<value>.*)"\.$""", System.Text.RegularExpressions.RegexOptions.Singleline);

    private static string Expected(string type) => (type.StartsWith("Nullable<", StringComparison.Ordinal) ? type[9..^1] : type.TrimEnd('?')) switch
    {
        "int" or "long" or "Int32" or "Int64" => "a whole number",
        "bool" or "Boolean" => "true or false",
        "double" or "decimal" or "Double" or "Decimal" => "a number",
        "DateTimeOffset" or "DateTime" => "a date and time (ISO 8601, e.g. 2026-12-07T12:00:00Z)",
        "TimeSpan" => "a duration (hh:mm:ss)",
        _ => "of the form this parameter takes",
    };

    // The serializer adds the path to its own messages only; a converter's message says what to send, and the path where.
    private static string WithPath(JsonException e) =>
        WithoutTypeName(e.Path is null || e.Message.Contains("Path: ", StringComparison.Ordinal) ? e.Message : $"{e.Message} Path: {e.Path}.", e.Path);

    /// <summary>
    /// The serializer's own message for a value of the wrong type names a .NET type of the service, which means nothing
    /// to a caller: it is said in the API's terms instead, with the serializer's path and position kept.
    /// </summary>
    private static string WithoutTypeName(string message, string? path)
    {
        const string Unconvertible = "The JSON value could not be converted to ";
        var at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (at < 0)
        {
            return message;
        }

        if (message.StartsWith(Unconvertible, StringComparison.Ordinal))
        {
            return $"The value at {path} is not of the type that field takes (the route's schema in /openapi/v1.json gives each field's type).{message[at..]}";
        }

        // The serializer's messages that name the field first and a type of the service after it.
        return FirstQuoted(message, "Duplicate property '") is { } twice
            ? $"The field '{twice}' is sent more than once (field names match without regard to case); send it once.{message[at..]}"
            : FirstQuoted(message, "The JSON property '") is { } unknown
            ? $"The field '{unknown}' is not one this route takes (the route's schema in /openapi/v1.json gives its fields).{message[at..]}"
            : FirstQuoted(message, "The constructor parameter '") is { } notNull && message.Contains("doesn't allow null values", StringComparison.Ordinal)
            ? $"The field '{JsonNamingPolicy.CamelCase.ConvertName(notNull)}' may not be null; send a value or leave it out if it is optional.{message[at..]}"
            : FirstQuoted(message, "The property or field '") is { } notNullMember && message.Contains("doesn't allow setting null values", StringComparison.Ordinal)
            ? $"The field '{notNullMember}' may not be null; send a value or leave it out if it is optional.{message[at..]}"
            : message.StartsWith("JSON deserialization for type '", StringComparison.Ordinal) && message.IndexOf("missing required properties including: ", StringComparison.Ordinal) is var listed and > 0
            ? $"The body lacks required fields: {message[(listed + "missing required properties including: ".Length)..at].TrimEnd('.')}.{message[at..]}"
            : message;
    }

    /// <summary>The text between the quotes that follow <paramref name="opening"/> (which ends with the opening quote), when the message starts so.</summary>
    private static string? FirstQuoted(string message, string opening)
    {
        var ends = message.StartsWith(opening, StringComparison.Ordinal) ? message.IndexOf('\'', opening.Length) : -1;
        return ends > 0 ? message[opening.Length..ends] : null;
    }

    // The trace id is in the message itself: it is what the client reports, and logs need no request scope to show it.
    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with {Status}, trace id {TraceId}")]
    private static partial void LogServerError(ILogger logger, Exception exception, string method, string path, int status, object? traceId);
}
