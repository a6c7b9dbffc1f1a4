using System.Runtime.CompilerServices;
using Grains.Testing;
using Quotas.Contracts.Gateway;

namespace Quotas.Gateway.Tests;

public sealed class IdempotencyInFlightTests
{
    private const string Body = """{"quota":"cost","amount":40}""";

    [Fact]
    public async Task A_request_whose_key_is_still_running_answers_409_in_flight_and_after_the_first_answers_the_key_replays()
    {
        var held = new HeldCompletion();
        // Manual time: the day's budget read at the end would start again at midnight on the real clock.
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero)), wrapGrains: grains => new InterceptingGrains<IIdempotencyGrain>(grains, key => new HeldCompletion.Held(key, held)));
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", """[{"name":"cost","kind":"budget","limit":100,"period":"day"}]"""));

        // The first request claims the key and records the usage; it is held before it stores its answer, so it still runs.
        var first = tenant.PostJson("/v1/tenants/acme/usage", Body, "evt-1");
        await held.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

        try
        {
            var second = await tenant.PostJson("/v1/tenants/acme/usage", Body, "evt-1");
            var problem = await second.Problem(409, "idempotency_key_in_flight");
            Assert.Equal("https://quotas.dev/problems/idempotency-key-in-flight", (string?)problem["type"]);
            Assert.Contains("evt-1", (string?)problem["detail"], StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromSeconds(1), second.Headers.RetryAfter!.Delta);
            Assert.False(first.IsCompleted, "The first request answered before it was released; the 409 above proves nothing then.");
        }
        finally
        {
            // Also when an assertion failed: a request still held would keep the server from stopping.
            held.Release.TrySetResult();
        }

        var answered = await (await first).Ok(201);
        var replay = await tenant.PostJson("/v1/tenants/acme/usage", Body, "evt-1");
        Assert.Equal(answered.ToJsonString(), (await replay.Ok(201)).ToJsonString());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        var usage = await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        Assert.Equal(40, (long)usage["budgets"]!.AsArray().Single(b => (string?)b!["quota"] == "cost")!["current"]!);
    }

    [Fact]
    public async Task A_refused_request_whose_key_cannot_be_freed_still_gets_its_own_answer()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, wrapGrains: grains => new InterceptingGrains<IIdempotencyGrain>(grains, key => new FailingAbandon(key)));
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", """[{"name":"cost","kind":"budget","limit":100,"period":"day"}]"""));

        // The request is refused (no such quota); freeing its key then fails, which the caller is not told instead.
        var refused = await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"nothing","amount":1}""", "evt-2");
        await refused.Problem(400, "unknown_quota");

        // The key stays claimed: a retry is told to wait, not run twice.
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"nothing","amount":1}""", "evt-2")).Problem(409, "idempotency_key_in_flight");
    }

    /// <summary>
    /// A claim stored but whose answer the gateway never got (the connection cut on the way back) is freed by the
    /// gateway under the request's own claim id: the caller's retry runs, instead of being told for two minutes that a
    /// request that never ran is still running.
    /// </summary>
    [Fact]
    public async Task A_claim_whose_answer_was_lost_does_not_hold_the_key_against_the_callers_retry()
    {
        var claims = new StrongBox<int>();
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, wrapGrains: grains => new InterceptingGrains<IIdempotencyGrain>(grains, key => new LostClaimAnswer(key, claims)));
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", """[{"name":"cost","kind":"budget","limit":100,"period":"day"}]"""));

        await (await tenant.PostJson("/v1/tenants/acme/usage", Body, "evt-3")).Problem(503, "unavailable");
        var retried = await tenant.PostJson("/v1/tenants/acme/usage", Body, "evt-3");

        await retried.Ok(201);
        var usage = await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        Assert.Equal(40, (long)usage["budgets"]!.AsArray().Single(b => (string?)b!["quota"] == "cost")!["current"]!);
    }

    private sealed class FailingAbandon(IIdempotencyGrain inner) : IIdempotencyGrain
    {
        public Task<IdempotencyClaim> Begin(string fingerprint, TimeSpan lifetime) => inner.Begin(fingerprint, lifetime);

        public Task<IdempotencyClaim> BeginClaim(string fingerprint, TimeSpan lifetime, string claimId) => inner.BeginClaim(fingerprint, lifetime, claimId);

        public Task Complete(string fingerprint, StoredResponse response) => inner.Complete(fingerprint, response);

        public Task Abandon(string fingerprint) => Fails();

        public Task AbandonClaim(string fingerprint, string claimId) => Fails();

        private static Task Fails() => Task.FromException(new global::Grains.Storage.GrainStorageException("The idempotency store did not answer (a fault the test set)."));
    }

    /// <summary>The first claim (counted in <paramref name="claims"/>) is stored, and its answer lost on the way back, as a connection cut then would lose it.</summary>
    private sealed class LostClaimAnswer(IIdempotencyGrain inner, StrongBox<int> claims) : IIdempotencyGrain
    {
        public Task<IdempotencyClaim> Begin(string fingerprint, TimeSpan lifetime) => inner.Begin(fingerprint, lifetime);

        public async Task<IdempotencyClaim> BeginClaim(string fingerprint, TimeSpan lifetime, string claimId)
        {
            var claim = await inner.BeginClaim(fingerprint, lifetime, claimId);
            return Interlocked.Increment(ref claims.Value) == 1
                ? throw new global::Grains.GrainConnectionLostException("The connection to the key's silo was lost (a fault the test set).", new IOException("reset"))
                : claim;
        }

        public Task Complete(string fingerprint, StoredResponse response) => inner.Complete(fingerprint, response);

        public Task Abandon(string fingerprint) => inner.Abandon(fingerprint);

        public Task AbandonClaim(string fingerprint, string claimId) => inner.AbandonClaim(fingerprint, claimId);
    }

    /// <summary>
    /// Holds the first request that stores its answer under an idempotency key (the key grain's Complete) until released:
    /// that request has claimed the key and done its work but not answered, as a slow request would be.
    /// </summary>
    private sealed class HeldCompletion
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public sealed class Held(IIdempotencyGrain inner, HeldCompletion owner) : IIdempotencyGrain
        {
            public Task<IdempotencyClaim> Begin(string fingerprint, TimeSpan lifetime) => inner.Begin(fingerprint, lifetime);

            public Task<IdempotencyClaim> BeginClaim(string fingerprint, TimeSpan lifetime, string claimId) => inner.BeginClaim(fingerprint, lifetime, claimId);

            public async Task Complete(string fingerprint, StoredResponse response)
            {
                if (owner.Reached.TrySetResult())
                {
                    await owner.Release.Task;
                }

                await inner.Complete(fingerprint, response);
            }

            public Task Abandon(string fingerprint) => inner.Abandon(fingerprint);

            public Task AbandonClaim(string fingerprint, string claimId) => inner.AbandonClaim(fingerprint, claimId);
        }
    }
}
