using Grains;

namespace Quotas.Contracts.Gateway;

/// <summary>
/// One idempotency key of one tenant and operation. The first request claims it; a replay with the same request
/// fingerprint gets the stored response; a different request under the same key is a mismatch; a replay while the
/// first is still running is told so. Records are kept for the lifetime the gateway passes.
/// </summary>
public interface IIdempotencyGrain : IGrainWithStringKey
{
    Task<IdempotencyClaim> Begin(string fingerprint, TimeSpan lifetime);

    /// <summary>Stores the response of the request that claimed the key.</summary>
    Task Complete(string fingerprint, StoredResponse response);

    /// <summary>Frees the key after a request that failed without a response worth replaying (e.g. a server error).</summary>
    Task Abandon(string fingerprint);
}

public enum IdempotencyClaimStatus
{
    /// <summary>The caller owns the key now: run the request, then Complete or Abandon.</summary>
    Proceed,

    /// <summary>The same request completed before: answer with <see cref="IdempotencyClaim.Response"/>.</summary>
    Replay,

    /// <summary>The same request is still running.</summary>
    InFlight,

    /// <summary>The key was used with a different request.</summary>
    Mismatch,
}

public sealed record IdempotencyClaim(IdempotencyClaimStatus Status, StoredResponse? Response);

/// <summary>A response as replayed: status, JSON body and Location header.</summary>
public sealed record StoredResponse(int StatusCode, string Body, string? Location);
