using Grains.Storage;
using Grains.Testing;

namespace Grains.AdoNet.Tests;

/// <summary>States kept as entries (<see cref="IGrainEntryStorage"/>): the same behaviour on every dialect.</summary>
public abstract partial class GrainStorageConformanceTests
{
    [Fact]
    public async Task Entries_never_written_read_as_none_without_an_etag()
    {
        var storage = await CreateStorageAsync();

        var read = await storage.ReadEntriesAsync<Point>(Key("missing"), default);

        Assert.Empty(read.Entries);
        Assert.Null(read.Etag);
    }

    /// <summary>
    /// A state name that holds a state written whole is refused as entries, naming the state and what to do: read as
    /// none, the first write of entries under it cleared that state without a word.
    /// </summary>
    [Fact]
    public async Task A_state_stored_whole_is_refused_as_entries_and_kept()
    {
        var storage = await CreateStorageAsync();
        await storage.WriteAsync(Key("whole"), new Point { X = 7 }, null, null, default);

        var refused = await Assert.ThrowsAsync<GrainStateSerializationException>(() => storage.ReadEntriesAsync<Point>(Key("whole"), default));

        Assert.Contains("is stored whole, not as entries", refused.Message, StringComparison.Ordinal);
        Assert.Contains("use a state name of its own", refused.Message, StringComparison.Ordinal);
        Assert.Equal(7, (await storage.ReadAsync<Point>(Key("whole"), default)).State!.X);
    }

    [Fact]
    public async Task A_write_puts_and_removes_only_the_entries_it_names()
    {
        var storage = await CreateStorageAsync();
        var first = await storage.WriteEntriesAsync(Key("e"), Changes(("a", 1), ("b", 2), ("c", 3)), null, default);

        var second = await storage.WriteEntriesAsync(Key("e"), Changes(("b", 20), ("c", null), ("d", 4), ("never-stored", null)), first, default);
        var read = await storage.ReadEntriesAsync<Point>(Key("e"), default);

        Assert.Equal(second, read.Etag);
        Assert.NotEqual(first, second);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 20, ["d"] = 4 }, read.Entries.ToDictionary(e => e.Key, e => e.Value.X));
    }

    [Fact]
    public async Task An_entry_write_with_a_stale_or_missing_etag_changes_nothing()
    {
        var storage = await CreateStorageAsync();
        var first = await storage.WriteEntriesAsync(Key("e"), Changes(("a", 1)), null, default);
        var second = await storage.WriteEntriesAsync(Key("e"), Changes(("a", 2)), first, default);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteEntriesAsync(Key("e"), Changes(("a", 9), ("z", 9)), first, default));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteEntriesAsync(Key("e"), Changes(("z", 9)), null, default));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearEntriesAsync(Key("e"), first, default));

        var read = await storage.ReadEntriesAsync<Point>(Key("e"), default);
        Assert.Equal(second, read.Etag);
        Assert.Equal(2, Assert.Single(read.Entries, e => e.Key == "a").Value.X);
        Assert.Single(read.Entries);
    }

    [Fact]
    public async Task Writes_larger_than_one_batch_are_stored_whole()
    {
        var storage = await CreateStorageAsync();
        var puts = Enumerable.Range(0, 1_234).Select(i => ($"job/{i}", (int?)i)).ToArray();
        var etag = await storage.WriteEntriesAsync(Key("big"), Changes(puts), null, default);

        await storage.WriteEntriesAsync(Key("big"), Changes([.. puts.Where(p => p.Item2 % 2 == 0).Select(p => (p.Item1, (int?)null))]), etag, default);
        var read = await storage.ReadEntriesAsync<Point>(Key("big"), default);

        Assert.Equal(617, read.Entries.Count);
        Assert.All(read.Entries, e => Assert.Equal($"job/{e.Value.X}", e.Key));
        Assert.All(read.Entries, e => Assert.Equal(1, e.Value.X % 2));
    }

    [Fact]
    public async Task Clearing_entries_removes_them_all_and_versions_keep_counting()
    {
        var storage = await CreateStorageAsync();
        var written = await storage.WriteEntriesAsync(Key("e"), Changes(("a", 1), ("b", 2)), null, default);

        var cleared = await storage.ClearEntriesAsync(Key("e"), written, default);
        var read = await storage.ReadEntriesAsync<Point>(Key("e"), default);

        Assert.Empty(read.Entries);
        Assert.Equal(cleared, read.Etag);
        var rewritten = await storage.WriteEntriesAsync(Key("e"), Changes(("c", 3)), cleared, default);
        Assert.NotEqual(cleared, rewritten);
        Assert.Equal("c", Assert.Single((await storage.ReadEntriesAsync<Point>(Key("e"), default)).Entries).Key);
    }

    [Fact]
    public async Task Two_entry_writers_with_the_same_etag_exactly_one_wins_whole()
    {
        var storage = await CreateStorageAsync();
        for (var round = 0; round < 10; round++)
        {
            var key = Key($"entries-race-{round}");
            var etag = round % 2 == 0 ? null : await storage.WriteEntriesAsync(key, Changes(("seed", -1)), null, default);

            var outcomes = await RaceTwoWritersAsync(writer =>
                storage.WriteEntriesAsync(key, Changes([.. Enumerable.Range(0, 50).Select(i => ($"w{writer}/{i}", (int?)writer))]), etag, default));

            Assert.Equal(1, outcomes.Count(won => won));
            var winner = Array.IndexOf(outcomes, true);
            var written = (await storage.ReadEntriesAsync<Point>(key, default)).Entries.Where(e => e.Key != "seed").ToList();
            Assert.Equal(50, written.Count);
            Assert.All(written, e => Assert.Equal(winner, e.Value.X));
        }
    }

    [Fact]
    public async Task Entries_belong_to_their_service_grain_and_state()
    {
        var storage = await CreateStorageAsync();
        var other = await CreateStorageAsync(TestDatabases.NewServiceId());
        var id = GrainId.Create("point", "k");
        await storage.WriteEntriesAsync(new GrainStateKey(id, "a"), Changes(("x", 1)), null, default);
        await storage.WriteEntriesAsync(new GrainStateKey(id, "b"), Changes(("x", 2)), null, default);
        await storage.WriteEntriesAsync(new GrainStateKey(GrainId.Create("point", "k2"), "a"), Changes(("x", 3)), null, default);

        Assert.Equal(1, (await storage.ReadEntriesAsync<Point>(new GrainStateKey(id, "a"), default)).Entries["x"].X);
        Assert.Equal(2, (await storage.ReadEntriesAsync<Point>(new GrainStateKey(id, "b"), default)).Entries["x"].X);
        Assert.Empty((await other.ReadEntriesAsync<Point>(new GrainStateKey(id, "a"), default)).Entries);
    }

    [Fact]
    public async Task An_entry_with_an_empty_key_is_refused_before_anything_is_stored()
    {
        var storage = await CreateStorageAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => storage.WriteEntriesAsync(Key("e"), Changes(("a", 1), ("", 2)), null, default));

        Assert.Contains("empty key", error.Message);
        Assert.Null((await storage.ReadEntriesAsync<Point>(Key("e"), default)).Etag);
    }

    /// <summary>"a\uD800" and "a\uDC00" would be one row on SQLite (both stored as "a\uFFFD"), and fail on PostgreSQL.</summary>
    [Fact]
    public async Task An_entry_whose_key_has_an_unpaired_surrogate_is_refused_before_anything_is_stored()
    {
        var storage = await CreateStorageAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => storage.WriteEntriesAsync(Key("s"), Changes(("a", 1), ("a" + (char)0xD800, 2)), null, default));

        Assert.Contains("unpaired surrogate", error.Message);
        Assert.Null((await storage.ReadEntriesAsync<Point>(Key("s"), default)).Etag);
    }

    private static KeyValuePair<string, Point?>[] Changes(params (string Key, int? X)[] changes) =>
        [.. changes.Select(c => new KeyValuePair<string, Point?>(c.Key, c.X is { } x ? new Point { X = x } : null))];
}
