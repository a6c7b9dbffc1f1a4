using Grains;
using Grains.Storage;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;
using Quotas.Contracts.Gateway;

namespace Quotas.Grains.Tests.Gateway;

/// <summary>An idempotency key's record carries the key's lifetime as its expiry, so the storage's sweep removes it later.</summary>
public sealed class IdempotencyGrainTests
{
    private static readonly DateTimeOffset s_noon = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_keys_record_expires_with_the_key_and_a_reuse_after_that_moves_the_expiry()
    {
        var time = new ManualTimeProvider(s_noon);
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), time: time);
        var grain = cluster.GrainFactory.GetGrain<IIdempotencyGrain>("tenant-a/usage/key-1");
        var storage = cluster.PrimarySilo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        var key = new GrainStateKey(GrainId.Create("idempotency", "tenant-a/usage/key-1"), "idempotency");

        Assert.Equal(IdempotencyClaimStatus.Proceed, (await grain.Begin("first", TimeSpan.FromHours(24))).Status);
        await grain.Complete("first", new StoredResponse(201, "{}", null));
        var completed = await storage.ReadAsync<object>(key, default);
        // Past the lifetime but within the sweep's grace period: the key is free again, for a new expiry.
        time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        Assert.Equal(IdempotencyClaimStatus.Proceed, (await grain.Begin("second", TimeSpan.FromHours(2))).Status);
        var reused = await storage.ReadAsync<object>(key, default);

        Assert.True(completed.RecordExists);
        Assert.Equal(s_noon.AddHours(24), completed.ExpiresAt);
        Assert.Equal(s_noon.AddHours(26).AddMinutes(1), reused.ExpiresAt);
    }

    [Fact]
    public async Task A_response_that_could_not_be_stored_is_replayed_and_stored_by_the_replay_so_a_restart_keeps_it()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var grain = cluster.GrainFactory.GetGrain<IIdempotencyGrain>("tenant-a/usage/key-2");
        var response = new StoredResponse(201, "{\"consumed\":7}", null);
        Assert.Equal(IdempotencyClaimStatus.Proceed, (await grain.Begin("body", TimeSpan.FromHours(24))).Status);

        // The request ran; storing its answer fails, as the caller learns. Its retry gets the answer all the same.
        faults.FailWritesOf = "idempotency";
        await Assert.ThrowsAnyAsync<Exception>(() => grain.Complete("body", response));
        var whileFailing = await grain.Begin("body", TimeSpan.FromHours(24));
        faults.FailWritesOf = null;
        var replayed = await grain.Begin("body", TimeSpan.FromHours(24));

        Assert.Equal((IdempotencyClaimStatus.Replay, response), (whileFailing.Status, whileFailing.Response));
        Assert.Equal((IdempotencyClaimStatus.Replay, response), (replayed.Status, replayed.Response));

        // That replay stored it: after a restart the key still answers, rather than looking in flight and running again.
        await cluster.RestartAsync();
        var afterRestart = await cluster.GrainFactory.GetGrain<IIdempotencyGrain>("tenant-a/usage/key-2").Begin("body", TimeSpan.FromHours(24));
        Assert.Equal((IdempotencyClaimStatus.Replay, response), (afterRestart.Status, afterRestart.Response));
    }

    /// <summary>A claim storage refused leaves no activation behind: while writes fail, every new usage event would keep one for its idle time.</summary>
    [Fact]
    public async Task A_claim_storage_refused_leaves_memory_at_once()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults);
        var grain = cluster.GrainFactory.GetGrain<IIdempotencyGrain>("tenant-a/usage/refused-write");

        faults.FailWritesOf = "idempotency";
        await Assert.ThrowsAnyAsync<Exception>(() => grain.Begin("body", TimeSpan.FromHours(24)));

        await cluster.PrimarySilo.Silo.ActivationGoneAsync(GrainId.Create("idempotency", "tenant-a/usage/refused-write")).WaitAsync(TimeSpan.FromSeconds(30));
        faults.FailWritesOf = null;
        Assert.Equal(IdempotencyClaimStatus.Proceed, (await grain.Begin("body", TimeSpan.FromHours(24))).Status);
    }

    [Fact]
    public async Task A_key_leaves_memory_once_its_request_is_answered_and_still_answers_retries_from_storage()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var silo = cluster.PrimarySilo.Silo;
        var response = new StoredResponse(201, "{\"consumed\":3}", null);
        IIdempotencyGrain Key(string name) => cluster.GrainFactory.GetGrain<IIdempotencyGrain>("tenant-a/usage/" + name);
        Task Gone(params string[] names) =>
            Task.WhenAll(names.Select(n => silo.ActivationGoneAsync(GrainId.Create("idempotency", "tenant-a/usage/" + n)))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(IdempotencyClaimStatus.Proceed, (await Key("done").Begin("body", TimeSpan.FromHours(24))).Status);
        Assert.Equal(IdempotencyClaimStatus.Proceed, (await Key("refused").Begin("body", TimeSpan.FromHours(24))).Status);
        Assert.Equal(IdempotencyClaimStatus.Proceed, (await Key("running").Begin("body", TimeSpan.FromHours(24))).Status);
        await Key("done").Complete("body", response);
        await Key("refused").Abandon("body");
        await Gone("done", "refused");

        // A request in flight keeps its key; an answer to a retry (in flight, replayed, another body) does not.
        Assert.Equal(1, silo.ActivationCountsByType().GetValueOrDefault("idempotency"));
        Assert.Equal(IdempotencyClaimStatus.InFlight, (await Key("running").Begin("body", TimeSpan.FromHours(24))).Status);
        var replayed = await Key("done").Begin("body", TimeSpan.FromHours(24));
        Assert.Equal(IdempotencyClaimStatus.Mismatch, (await Key("done").Begin("other", TimeSpan.FromHours(24))).Status);
        await Gone("done", "running");

        // Read back from storage: the running request completes its key, and the refused one's key is free again.
        await Key("running").Complete("body", response);
        var afterwards = await Key("running").Begin("body", TimeSpan.FromHours(24));
        var again = await Key("refused").Begin("body", TimeSpan.FromHours(24));
        Assert.Equal((IdempotencyClaimStatus.Replay, response), (replayed.Status, replayed.Response));
        Assert.Equal((IdempotencyClaimStatus.Replay, response), (afterwards.Status, afterwards.Response));
        Assert.Equal(IdempotencyClaimStatus.Proceed, again.Status);
    }

    /// <summary>
    /// A claim is the request's that names it: asked again under the same claim id (its first answer lost) it proceeds,
    /// another request is told it runs, and only its own claim id frees it, so that a repeated or late free never
    /// frees another request's claim. Both calls are marked idempotent, so the runtime repeats them on a lost connection.
    /// </summary>
    [Fact]
    public async Task A_claim_proceeds_again_for_its_own_claim_id_and_only_that_id_frees_it()
    {
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite());
        var key = cluster.GrainFactory.GetGrain<IIdempotencyGrain>("tenant-a/usage/claims");
        var lifetime = TimeSpan.FromHours(24);

        Assert.Equal(IdempotencyClaimStatus.Proceed, (await key.BeginClaim("body", lifetime, "first")).Status);
        Assert.Equal(IdempotencyClaimStatus.Proceed, (await key.BeginClaim("body", lifetime, "first")).Status);
        Assert.Equal(IdempotencyClaimStatus.InFlight, (await key.BeginClaim("body", lifetime, "second")).Status);
        Assert.Equal(IdempotencyClaimStatus.InFlight, (await key.Begin("body", lifetime)).Status);

        await key.AbandonClaim("body", "second");
        Assert.Equal(IdempotencyClaimStatus.InFlight, (await key.BeginClaim("body", lifetime, "second")).Status);
        await key.AbandonClaim("body", "first");
        Assert.Equal(IdempotencyClaimStatus.Proceed, (await key.BeginClaim("body", lifetime, "second")).Status);
        await key.AbandonClaim("body", "first");
        Assert.Equal(IdempotencyClaimStatus.InFlight, (await key.BeginClaim("body", lifetime, "third")).Status);

        var methods = typeof(IIdempotencyGrain).GetMethods().Where(m => m.Name is nameof(IIdempotencyGrain.BeginClaim) or nameof(IIdempotencyGrain.AbandonClaim));
        Assert.All(methods, m => Assert.NotNull(m.GetCustomAttributes(typeof(IdempotentAttribute), false).SingleOrDefault()));
    }
}
