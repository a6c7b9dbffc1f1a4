using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Grains;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Quotas.Contracts.Gateway;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> handling (and that of keys a body carries, such as a usage event id), scoped per tenant and
/// operation and kept for
/// <see cref="GatewayOptions.IdempotencyKeyLifetime"/>: a replay of the same request gets the stored response (with
/// <c>Idempotent-Replayed: true</c>), the same key with a different body 422, a replay while the first still runs 409.
/// Refusals worth retrying (429) and server errors are not stored, so a retry with the same key runs again.
/// </summary>
internal static class IdempotentRequest
{
    public const string Header = "Idempotency-Key";

    /// <summary>The problem code of a key reused with another request.</summary>
    public const string MismatchCode = "idempotency_key_mismatch";
    private const int MaxKeyLength = 128;

    /// <summary>How long an answer waits for its key to be freed (see AbandonAsync).</summary>
    private static readonly TimeSpan s_freeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The key of the request, or null when it sends none; throws a 400 for a malformed key, an empty one (an unset
    /// variable, say, which would otherwise turn the protection off unnoticed) and more than one.
    /// </summary>
    public static string? KeyOf(HttpContext context)
    {
        var values = context.Request.Headers[Header];
        if (values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            throw new Core.Tenants.QuotaValidationException(
                Core.Tenants.ValidationCodes.InvalidIdempotencyKey,
                $"The request carries {values.Count} {Header} headers; send one.");
        }

        var key = values[0] ?? "";
        if (key.Length is 0 or > MaxKeyLength || !key.All(c => c is > ' ' and < (char)127))
        {
            throw new Core.Tenants.QuotaValidationException(
                Core.Tenants.ValidationCodes.InvalidIdempotencyKey,
                $"{Header} must be 1 to {MaxKeyLength} visible ASCII characters (a UUID is a good choice).");
        }

        return key;
    }

    /// <summary>Runs <paramref name="run"/> at most once per key; without a key, just runs it.</summary>
    public static Task<IResult> RunAsync<TBody>(
        HttpContext context, string tenantId, string operation, TBody body, Func<string?, Task<Outcome>> run) =>
        RunAsync(context, tenantId, operation, body, run, KeyOf(context), Header);

    /// <summary>
    /// <see cref="RunAsync{TBody}(HttpContext, string, string, TBody, Func{string?, Task{Outcome}})"/> with the key
    /// given (checked already), named <paramref name="keyName"/> in the problems: a key the body carries, such as a
    /// usage event id sent without an <c>Idempotency-Key</c>.
    /// </summary>
    public static async Task<IResult> RunAsync<TBody>(
        HttpContext context, string tenantId, string operation, TBody body, Func<string?, Task<Outcome>> run, string? key, string keyName)
    {
        var json = ApiJson.Options;
        if (key is null)
        {
            return (await run(null)).ToResult(json);
        }

        var options = context.RequestServices.GetRequiredService<GatewayOptions>();
        var grain = context.RequestServices.GetRequiredService<IGrainFactory>().GetGrain<IIdempotencyGrain>(GrainKey(tenantId, operation, key));
        var fingerprint = Fingerprint(context, JsonSerializer.Serialize(body, ApiJson.FingerprintOptions));
        // Names this request's claim: a claim whose answer was lost is the caller's to use (the runtime repeats the
        // call) or to free (below), instead of holding the key for the in-flight timeout. Null: the key's silo runs
        // the release before (a rolling upgrade), which knows claims without ids only.
        string? claimId = Guid.NewGuid().ToString("N");
        IdempotencyClaim claim;
        try
        {
            claim = await grain.BeginClaim(fingerprint, options.IdempotencyKeyLifetime, claimId);
        }
        catch (NotSupportedException)
        {
            claimId = null;
            claim = await grain.Begin(fingerprint, options.IdempotencyKeyLifetime);
        }
        catch (Exception e) when (!SurelyNotRun(e))
        {
            // The claim may have been stored: freed if it was, so that the caller's retry runs.
            await AbandonAsync(context, grain, fingerprint, claimId, keyName, key);
            throw;
        }

        switch (claim.Status)
        {
            case IdempotencyClaimStatus.Replay:
                context.Response.Headers["Idempotent-Replayed"] = "true";
                return Stored(claim.Response!);
            case IdempotencyClaimStatus.Mismatch:
                return Problem.Result(context, Problem.Details(context, StatusCodes.Status422UnprocessableEntity, ProblemTypes.IdempotencyKeyMismatch,
                    "Idempotency key reused", $"{keyName} '{key}' was used with a different request; use a new one for a new request.", MismatchCode));
            case IdempotencyClaimStatus.InFlight:
                // A retry soon will find the first request's answer: clients that honour Retry-After (the SDK does for
                // requests with a key) wait instead of failing a request that is about to succeed.
                context.Response.Headers.RetryAfter = "1";
                return Problem.Result(context, Problem.Details(context, StatusCodes.Status409Conflict, ProblemTypes.IdempotencyKeyInFlight,
                    "Request in progress", $"A request with {keyName} '{key}' is still running; retry after it finishes.", "idempotency_key_in_flight"));
        }

        Outcome outcome;
        try
        {
            outcome = await run(key);
        }
        catch
        {
            await AbandonAsync(context, grain, fingerprint, claimId, keyName, key);
            throw;
        }

        if (outcome.Value is not null && outcome.Status is >= 200 and < 300)
        {
            var stored = new StoredResponse(outcome.Status, JsonSerializer.Serialize(outcome.Value, json), outcome.Location);
            await grain.Complete(fingerprint, stored);
            return Stored(stored);
        }

        await AbandonAsync(context, grain, fingerprint, claimId, keyName, key);
        return outcome.ToResult(json);
    }

    /// <summary>
    /// Failures of a call that surely did not run, so stored no claim: asking the key again would only add to the
    /// trouble (an overloaded key, a silo stopping, an activation that timed out).
    /// </summary>
    private static bool SurelyNotRun(Exception e) =>
        e is OperationCanceledException or GrainOverloadedException or GrainActivationTimeoutException
            || (e is SiloUnavailableException && e is not GrainConnectionLostException);

    /// <summary>
    /// Frees the key of a request that did not succeed, so that a retry runs again. The caller gets the request's own
    /// answer (a 400, a 429) also when that fails: the key then stays claimed until the key's
    /// in-flight timeout (2 minutes), and a retry meanwhile gets 409 with Retry-After.
    /// </summary>
    private static async Task AbandonAsync(HttpContext context, IIdempotencyGrain grain, string fingerprint, string? claimId, string keyName, string key)
    {
        try
        {
            // Bounded: the caller's answer waits for this, and a key that cannot be freed soon stays claimed anyway.
            var time = context.RequestServices.GetRequiredService<TimeProvider>();
            await (claimId is null ? grain.Abandon(fingerprint) : grain.AbandonClaim(fingerprint, claimId)).WaitAsync(s_freeTimeout, time);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IdempotentRequest))
                .LogWarning(e, "Could not free {KeyName} '{Key}' after its request failed; a retry is answered 409 until the claim times out", keyName, key);
        }
    }

    // Hashed so that the longest tenant, pool and key still fit a grain key.
    private static string GrainKey(string tenantId, string operation, string key) =>
        $"{tenantId}/{operation}/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";

    private static IResult Stored(StoredResponse response)
    {
        var result = Results.Content(response.Body, "application/json", Encoding.UTF8, response.StatusCode);
        return response.Location is null ? result : new WithLocation(result, response.Location);
    }

    // The path without a trailing slash, which routes the same: a retry that adds one is the same request.
    private static string Fingerprint(HttpContext context, string body) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{context.Request.Method} {context.Request.Path.Value?.TrimEnd('/')}\n{body}")));

    /// <summary>What an endpoint produced: a success with its value, or any other result (a refusal) as is.</summary>
    public sealed record Outcome(int Status, object? Value, string? Location, IResult? Other)
    {
        public static Outcome Success(int status, object value, string? location = null) => new(status, value, location, null);

        public static Outcome Refusal(IResult result) => new(0, null, null, result);

        public IResult ToResult(JsonSerializerOptions json)
        {
            if (Other is not null)
            {
                return Other;
            }

            var result = Results.Content(JsonSerializer.Serialize(Value, json), "application/json", Encoding.UTF8, Status);
            return Location is null ? result : new WithLocation(result, Location);
        }
    }

    private sealed class WithLocation(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
