using Grains;
using Grains.Storage;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;

namespace Quotas.Grains.Gateway;

/// <summary>
/// One idempotency key; see <see cref="IIdempotencyGrain"/>. A claim whose request never completed (its gateway died)
/// is given up after <see cref="InFlightTimeout"/>, so the key does not stay blocked. The record expires with the key's
/// lifetime, so the storage deletes it afterwards instead of keeping every key ever used. Only a request in flight
/// keeps its key's activation: every usage event is a key of its own, and at a few thousand events a second activations
/// kept until they idled out (15 minutes) would hold millions. The record in storage is what answers a retry.
/// </summary>
[GrainType("idempotency")]
public sealed class IdempotencyGrain([PersistentState("idempotency")] IPersistentState<IdempotencyState> state, TimeProvider time) : Grain, IIdempotencyGrain
{
    /// <summary>Longer than any request may run (the grain call timeout is 30 s).</summary>
    public static readonly TimeSpan InFlightTimeout = TimeSpan.FromMinutes(2);

    // True while the response in memory could not be stored: the request did run, so it is replayed all the same, and
    // each replay tries to store it again (after a restart the key would otherwise look in flight and run again).
    private bool _responseUnstored;

    public Task<IdempotencyClaim> Begin(string fingerprint, TimeSpan lifetime) => BeginAsync(fingerprint, lifetime, claimId: null);

    public Task<IdempotencyClaim> BeginClaim(string fingerprint, TimeSpan lifetime, string claimId)
    {
        ArgumentException.ThrowIfNullOrEmpty(claimId);
        return BeginAsync(fingerprint, lifetime, claimId);
    }

    private async Task<IdempotencyClaim> BeginAsync(string fingerprint, TimeSpan lifetime, string? claimId)
    {
        var now = time.GetUtcNow();
        var record = state.State;
        if (state.RecordExists && record.ExpiresAt > now && !await OfDeletedOwnerAsync(record))
        {
            if (record.Fingerprint != fingerprint)
            {
                return Answered(IdempotencyClaimStatus.Mismatch, null);
            }

            if (record.Response is { } stored)
            {
                if (_responseUnstored)
                {
                    try
                    {
                        await state.WriteStateAsync();
                        _responseUnstored = false;
                    }
                    catch (GrainStorageException)
                    {
                        // Still not stored: the replay is the truth all the same, and the next one tries again.
                    }
                }

                return Answered(IdempotencyClaimStatus.Replay, stored);
            }

            // The caller's own claim, asked again because the answer to its first ask was lost: it holds the key.
            if (claimId is not null && record.ClaimId == claimId)
            {
                return new IdempotencyClaim(IdempotencyClaimStatus.Proceed, null);
            }

            if (now - record.StartedAt < InFlightTimeout)
            {
                // The request that runs completes the key through its own call, which reads the claim back if need be.
                return Answered(IdempotencyClaimStatus.InFlight, null);
            }
        }

        var previous = (state.State, state.ExpiresAt);
        state.State = new IdempotencyState { Fingerprint = fingerprint, StartedAt = now, ExpiresAt = now + lifetime, ClaimId = claimId };
        state.ExpiresAt = state.State.ExpiresAt;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Memory holds nothing storage does not: the activation leaves, as after any answer, rather than stay for
            // its idle time (while storage refuses writes, every new usage event would leave one behind).
            (state.State, state.ExpiresAt) = previous;
            LeaveUnlessUnstored();
            throw;
        }

        return new IdempotencyClaim(IdempotencyClaimStatus.Proceed, null);
    }

    /// <summary>
    /// True when the record was made for a tenant, or a pool, since deleted: one created again under the id must not
    /// get the deleted one's answers (a replayed submission would name a job the new pool never had). Asked only when a
    /// live record exists, which is on a retry, not on a first request. The key is "{tenant}/{operation}/{hash}",
    /// and a job submission's operation is "jobs/{pool}" (see the gateway's IdempotentRequest).
    /// </summary>
    private async Task<bool> OfDeletedOwnerAsync(IdempotencyState record)
    {
        var parts = GetPrimaryKeyString().Split('/');
        if (parts.Length < 3 || parts[0].Length == 0)
        {
            return false;
        }

        try
        {
            if (DeletedSince(record, await GrainFactory.GetGrain<ITenantGrain>(parts[0]).GetLastDeletedAt()))
            {
                return true;
            }

            return parts is [_, "jobs", var pool, _] && pool.Length > 0
                && DeletedSince(record, await GrainFactory.GetGrain<IFairShareSchedulerGrain>(pool).GetLastDeletedAt());
        }
        catch (NotSupportedException)
        {
            // A silo of an earlier release (a rolling upgrade) keeps no deletion time: the record is taken as it is.
            return false;
        }
    }

    private static bool DeletedSince(IdempotencyState record, DateTimeOffset? deletedAt) => deletedAt is { } deleted && record.StartedAt <= deleted;

    public async Task Complete(string fingerprint, StoredResponse response)
    {
        if (state.RecordExists && state.State.Fingerprint == fingerprint && state.State.Response is null)
        {
            state.State.Response = response;
            _responseUnstored = true;
            await state.WriteStateAsync();
            _responseUnstored = false;
        }

        LeaveUnlessUnstored();
    }

    public Task Abandon(string fingerprint) => AbandonAsync(fingerprint, claimId: null);

    public Task AbandonClaim(string fingerprint, string claimId)
    {
        ArgumentException.ThrowIfNullOrEmpty(claimId);
        return AbandonAsync(fingerprint, claimId);
    }

    private async Task AbandonAsync(string fingerprint, string? claimId)
    {
        try
        {
            if (state.RecordExists && state.State.Fingerprint == fingerprint && state.State.Response is null
                && (claimId is null || state.State.ClaimId == claimId))
            {
                await state.ClearStateAsync();
            }
        }
        finally
        {
            LeaveUnlessUnstored();
        }
    }

    private IdempotencyClaim Answered(IdempotencyClaimStatus status, StoredResponse? response)
    {
        LeaveUnlessUnstored();
        return new IdempotencyClaim(status, response);
    }

    // A response only memory holds keeps the activation, which replays it and stores it at the next retry.
    private void LeaveUnlessUnstored()
    {
        if (!_responseUnstored)
        {
            DeactivateOnIdle();
        }
    }
}

public sealed class IdempotencyState
{
    public string Fingerprint { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public StoredResponse? Response { get; set; }

    /// <summary>The request that holds the key (see <see cref="IIdempotencyGrain.BeginClaim"/>); null for a claim of a gateway of the release before.</summary>
    public string? ClaimId { get; set; }
}
