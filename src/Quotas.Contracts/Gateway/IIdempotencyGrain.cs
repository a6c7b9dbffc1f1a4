using Grains;

namespace Quotas.Contracts.Gateway;

/// <summary>
/// One idempotency key of one tenant and operation. The first request claims it; a replay with the same request
/// fingerprint gets the stored response; a different request under the same key is a mismatch; a replay while the
/// first is still running is told so. Records are kept for the lifetime the gateway passes.
/// </summary>
public interface IIdempotencyGrain : IGrainWithStringKey
{
    /// <summary>
    /// <see cref="BeginClaim"/> without a claim id, for gateways of the release before: a claim whose answer was lost
    /// holds the key until it times out.
    /// </summary>
    Task<IdempotencyClaim> Begin(string fingerprint, TimeSpan lifetime);

    /// <summary>
    /// Claims the key for one request, which names itself by <paramref name="claimId"/> (new for each request). The
    /// same call again (its answer was lost, and the runtime or the caller repeats it) finds the claim its own and
    /// proceeds, rather than answering that the request is still running.
    /// </summary>
    [Idempotent]
    Task<IdempotencyClaim> BeginClaim(string fingerprint, TimeSpan lifetime, string claimId);

    /// <summary>Stores the response of the request that claimed the key.</summary>
    Task Complete(string fingerprint, StoredResponse response);

    /// <summary>Frees the key after a request that failed without a response worth replaying (e.g. a server error).</summary>
    Task Abandon(string fingerprint);

    /// <summary>
    /// Frees the key if <paramref name="claimId"/> still holds it without a response: also after a <see cref="BeginClaim"/>
    /// whose outcome the caller does not know, and safely repeated, since it frees no other request's claim.
    /// </summary>
    [Idempotent]
    Task AbandonClaim(string fingerprint, string claimId);
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
