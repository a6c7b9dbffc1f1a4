using Grains.AdoNet.Storage;
using Grains.Storage;
using Grains.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grains.AdoNet.Tests;

/// <summary>Records written with an expiry: read back, moved by a rewrite, and deleted by the sweep only once expired.</summary>
public abstract partial class GrainStorageConformanceTests
{
    private static readonly DateTimeOffset s_noon = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_expiry_reads_back_with_the_state_and_each_write_sets_it_anew()
    {
        var storage = await CreateStorageAsync();

        var first = await storage.WriteAsync(Key("p"), new Point { X = 1 }, null, s_noon.AddMilliseconds(250), default);
        var expiring = await storage.ReadAsync<Point>(Key("p"), default);
        await storage.WriteAsync(Key("p"), new Point { X = 2 }, first, null, default);
        var kept = await storage.ReadAsync<Point>(Key("p"), default);

        Assert.Equal(s_noon.AddMilliseconds(250), expiring.ExpiresAt);
        Assert.Null(kept.ExpiresAt);
    }

    [Fact]
    public async Task The_sweep_deletes_only_this_services_records_that_expired_before_the_cutoff()
    {
        var storage = await CreateStorageAsync();
        var other = await CreateStorageAsync(TestDatabases.NewServiceId());
        var expiredEtag = await storage.WriteAsync(Key("expired"), new Point { X = 1 }, null, s_noon.AddHours(-1), default);
        await storage.WriteAsync(Key("later"), new Point { X = 2 }, null, s_noon.AddHours(1), default);
        await storage.WriteAsync(Key("kept"), new Point { X = 3 }, null, null, default);
        var cleared = await storage.WriteAsync(Key("cleared"), new Point { X = 4 }, null, s_noon.AddMinutes(-1), default);
        await storage.ClearAsync(Key("cleared"), cleared, s_noon.AddMinutes(-1), default);
        await other.WriteAsync(Key("expired"), new Point { X = 5 }, null, s_noon.AddHours(-1), default);

        var deleted = await storage.DeleteExpiredAsync(s_noon, batchSize: 10, default);

        Assert.Equal(2, deleted);
        var gone = await storage.ReadAsync<Point>(Key("expired"), default);
        Assert.False(gone.RecordExists);
        Assert.Null(gone.Etag);
        Assert.Null((await storage.ReadAsync<Point>(Key("cleared"), default)).Etag);
        Assert.Equal(2, (await storage.ReadAsync<Point>(Key("later"), default)).State!.X);
        Assert.Equal(3, (await storage.ReadAsync<Point>(Key("kept"), default)).State!.X);
        Assert.Equal(5, (await other.ReadAsync<Point>(Key("expired"), default)).State!.X);
        // A writer that still holds the deleted record's ETag conflicts, as after any change it did not see; a new record starts over.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync(Key("expired"), new Point { X = 9 }, expiredEtag, null, default));
        await storage.WriteAsync(Key("expired"), new Point { X = 6 }, null, null, default);
        Assert.Equal(6, (await storage.ReadAsync<Point>(Key("expired"), default)).State!.X);

        // Nor does it match the record created again in its place: a new record does not start at the version the
        // deleted one started at, so a stale writer cannot overwrite an acknowledged write.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync(Key("expired"), new Point { X = 9 }, expiredEtag, null, default));
        Assert.Equal(6, (await storage.ReadAsync<Point>(Key("expired"), default)).State!.X);
    }

    [Fact]
    public async Task The_sweep_deletes_in_batches_until_none_is_left()
    {
        var storage = await CreateStorageAsync();
        for (var i = 0; i < 7; i++)
        {
            await storage.WriteAsync(Key($"e{i}"), new Point { X = i }, null, s_noon.AddSeconds(-i - 1), default);
        }

        var deleted = await storage.DeleteExpiredAsync(s_noon, batchSize: 3, default);

        Assert.Equal(7, deleted);
        Assert.Equal(0, await storage.DeleteExpiredAsync(s_noon, batchSize: 3, default));
    }

    [Fact]
    public async Task The_sweeper_keeps_an_expired_record_for_the_grace_period()
    {
        var time = new ManualTimeProvider(s_noon);
        var storage = await CreateStorageAsync(options: options => options.ExpiredStateGracePeriod = TimeSpan.FromHours(1));
        await storage.WriteAsync(Key("recent"), new Point { X = 1 }, null, s_noon.AddMinutes(-30), default);
        await storage.WriteAsync(Key("old"), new Point { X = 2 }, null, s_noon.AddMinutes(-90), default);
        var sweeper = new ExpiredStateSweeper(storage, time, NullLogger<ExpiredStateSweeper>.Instance);

        var first = await sweeper.SweepAsync(default);
        time.Advance(TimeSpan.FromMinutes(31));
        var second = await sweeper.SweepAsync(default);

        Assert.Equal(1, first);
        Assert.Equal(1, second);
        Assert.False((await storage.ReadAsync<Point>(Key("recent"), default)).RecordExists);
    }
}
