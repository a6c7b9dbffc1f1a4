using Grains.AdoNet;
using Grains.AdoNet.Clustering;
using Grains.AdoNet.Dialects;
using Grains.AdoNet.Storage;
using Grains.Storage;
using Grains.Testing;
using Microsoft.Extensions.Logging;

namespace Grains.AdoNet.Tests;

public sealed class Point
{
    public int X { get; set; }

    public string Label { get; set; } = "";
}

/// <summary>The behaviour every grain storage must have; each dialect runs all of it.</summary>
public abstract partial class GrainStorageConformanceTests : IAsyncLifetime
{
    private readonly List<AdoNetGrainStorage> _storages = [];

    protected abstract TestStorage Database { get; }

    protected string ServiceId { get; } = TestDatabases.NewServiceId();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var storage in _storages)
        {
            await storage.DisposeAsync();
        }
    }

    [Fact]
    public async Task Reading_a_state_never_written_finds_no_record()
    {
        var storage = await CreateStorageAsync();

        var read = await storage.ReadAsync<Point>(Key("missing"), default);

        Assert.False(read.RecordExists);
        Assert.Null(read.Etag);
        Assert.Null(read.State);
    }

    [Fact]
    public async Task Written_state_reads_back_with_its_etag()
    {
        var storage = await CreateStorageAsync();

        var etag = await storage.WriteAsync(Key("p"), new Point { X = 3, Label = "três ✓" }, null, null, default);
        var read = await storage.ReadAsync<Point>(Key("p"), default);

        Assert.True(read.RecordExists);
        Assert.Equal(etag, read.Etag);
        Assert.Equal(3, read.State!.X);
        Assert.Equal("três ✓", read.State.Label);
    }

    [Fact]
    public async Task Each_write_needs_the_current_etag_and_returns_a_new_one()
    {
        var storage = await CreateStorageAsync();
        var first = await storage.WriteAsync(Key("p"), new Point { X = 1 }, null, null, default);

        var second = await storage.WriteAsync(Key("p"), new Point { X = 2 }, first, null, default);

        Assert.NotEqual(first, second);
        var stale = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync(Key("p"), new Point { X = 9 }, first, null, default));
        Assert.Equal(first, stale.ExpectedEtag);
        Assert.Equal(2, (await storage.ReadAsync<Point>(Key("p"), default)).State!.X);
    }

    [Fact]
    public async Task Writing_as_new_when_a_record_exists_is_a_conflict()
    {
        var storage = await CreateStorageAsync();
        await storage.WriteAsync(Key("p"), new Point { X = 1 }, null, null, default);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync(Key("p"), new Point { X = 2 }, null, null, default));
        Assert.Equal(1, (await storage.ReadAsync<Point>(Key("p"), default)).State!.X);
    }

    [Fact]
    public async Task Two_writers_with_the_same_stale_etag_exactly_one_wins()
    {
        var storage = await CreateStorageAsync();
        for (var round = 0; round < 20; round++)
        {
            var key = Key($"race-{round}");
            var etag = round % 2 == 0 ? null : await storage.WriteAsync(key, new Point { X = -1 }, null, null, default);

            var outcomes = await RaceTwoWritersAsync(writer => storage.WriteAsync(key, new Point { X = writer }, etag, null, default));

            Assert.Equal(1, outcomes.Count(won => won));
            var winner = Array.IndexOf(outcomes, true);
            Assert.Equal(winner, (await storage.ReadAsync<Point>(key, default)).State!.X);
        }
    }

    [Fact]
    public async Task Clear_removes_the_payload_gives_a_new_version_and_needs_the_current_etag()
    {
        var storage = await CreateStorageAsync();
        var written = await storage.WriteAsync(Key("p"), new Point { X = 1 }, null, null, default);

        var cleared = await storage.ClearAsync(Key("p"), written, null, default);
        var read = await storage.ReadAsync<Point>(Key("p"), default);

        Assert.False(read.RecordExists);
        Assert.Equal(cleared, read.Etag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearAsync(Key("p"), written, null, default));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync(Key("p"), new Point(), written, null, default));
        var rewritten = await storage.WriteAsync(Key("p"), new Point { X = 5 }, cleared, null, default);
        Assert.Equal(5, (await storage.ReadAsync<Point>(Key("p"), default)).State!.X);
        Assert.NotEqual(cleared, rewritten);
    }

    [Fact]
    public async Task Rows_are_keyed_by_service_grain_type_grain_key_and_state_name()
    {
        var storage = await CreateStorageAsync();
        var other = await CreateStorageAsync(TestDatabases.NewServiceId());
        var id = GrainId.Create("point", "k");

        await storage.WriteAsync(new GrainStateKey(id, "a"), new Point { X = 1 }, null, null, default);
        await storage.WriteAsync(new GrainStateKey(id, "b"), new Point { X = 2 }, null, null, default);
        await storage.WriteAsync(new GrainStateKey(GrainId.Create("other", "k"), "a"), new Point { X = 3 }, null, null, default);
        await storage.WriteAsync(new GrainStateKey(GrainId.Create("point", "k2"), "a"), new Point { X = 4 }, null, null, default);

        Assert.Equal(1, (await storage.ReadAsync<Point>(new GrainStateKey(id, "a"), default)).State!.X);
        Assert.Equal(2, (await storage.ReadAsync<Point>(new GrainStateKey(id, "b"), default)).State!.X);
        Assert.False((await other.ReadAsync<Point>(new GrainStateKey(id, "a"), default)).RecordExists);
    }

    [Fact]
    public async Task Longest_key_and_unicode_keys_are_stored()
    {
        var storage = await CreateStorageAsync();
        var keys = new[] { new string('x', GrainKey.MaxLength), "ключ-鍵-🔑", "with 'quotes'; DROP TABLE grains_storage; --" };

        foreach (var key in keys)
        {
            await storage.WriteAsync(Key(key), new Point { Label = key }, null, null, default);
        }

        foreach (var key in keys)
        {
            Assert.Equal(key, (await storage.ReadAsync<Point>(Key(key), default)).State!.Label);
        }
    }

    [Fact]
    public async Task Stored_payload_of_the_wrong_shape_fails_to_read_with_a_message_naming_the_row()
    {
        var storage = await CreateStorageAsync();
        await storage.WriteAsync(Key("bad"), new { x = "not a number" }, null, null, default);

        var error = await Assert.ThrowsAsync<GrainStateSerializationException>(() => storage.ReadAsync<Point>(Key("bad"), default));

        Assert.Contains("point/bad", error.Message);
        Assert.Contains(ServiceId, error.Message);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Schema_creation_is_idempotent_and_safe_when_silos_start_together()
    {
        var storages = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => CreateStorageAsync())));
        await storages[0].InitializeAsync(default);

        await storages[1].WriteAsync(Key("after-init"), new Point { X = 1 }, null, null, default);

        Assert.Equal(1, (await storages[2].ReadAsync<Point>(Key("after-init"), default)).State!.X);
    }

    [Fact]
    public async Task Etag_not_issued_by_the_storage_is_refused()
    {
        var storage = await CreateStorageAsync();

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync(Key("p"), new Point(), "not-a-version", null, default));
    }

    /// <summary>Starts two writers at once; true for each whose write was not refused as a conflict.</summary>
    private static async Task<bool[]> RaceTwoWritersAsync(Func<int, Task> write)
    {
        using var start = new Barrier(2);
        var writers = Enumerable.Range(0, 2).Select(writer => Task.Run(async () =>
        {
            start.SignalAndWait();
            try
            {
                await write(writer);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        })).ToArray();
        return await Task.WhenAll(writers);
    }

    protected static GrainStateKey Key(string grainKey) => new(GrainId.Create("point", grainKey), "state");

    private protected async Task<AdoNetGrainStorage> CreateStorageAsync(string? serviceId = null, Action<AdoNetGrainStorageOptions>? options = null)
    {
        var settings = new AdoNetGrainStorageOptions { Dialect = Database.Dialect, ConnectionString = Database.ConnectionString };
        options?.Invoke(settings);
        var storage = new AdoNetGrainStorage("Default", serviceId ?? ServiceId, settings, TimeProvider.System);
        lock (_storages)
        {
            _storages.Add(storage);
        }

        await storage.InitializeAsync(default);
        return storage;
    }
}

public sealed class SqliteGrainStorageTests : GrainStorageConformanceTests
{
    protected override TestStorage Database { get; } = TestStorage.Sqlite();

    /// <summary>
    /// A file applied by hand from deploy/sql (a storage that does not create its schema) has the sweep's index, as one
    /// the storage created; it used to be created only by the storage at start.
    /// </summary>
    [Fact]
    public async Task The_schema_script_applied_by_hand_creates_the_sweep_index()
    {
        var file = $"Data Source={Path.Combine(Path.GetTempPath(), $"grains-by-hand-{Guid.NewGuid():N}.db")}";
        await using (var dba = new Microsoft.Data.Sqlite.SqliteConnection(file))
        {
            await dba.OpenAsync();
            await using var script = new Microsoft.Data.Sqlite.SqliteCommand(SqliteDialect.Instance.LoadScript("grains-storage.sql"), dba);
            await script.ExecuteNonQueryAsync();
        }

        var storage = await CreateStorageAsync(options: o => (o.ConnectionString, o.CreateSchema) = (file, false));

        Assert.Equal(1L, await SqliteScalarAsync(file, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'grains_storage_expiry'"));
        await storage.WriteAsync(Key("kept"), new Point { X = 1 }, null, DateTimeOffset.UnixEpoch, default);
        Assert.Equal(1, await storage.DeleteExpiredAsync(DateTimeOffset.UnixEpoch.AddDays(1), 10, default));
    }

    /// <summary>A file whose table predates expiry gets the column before the script creates the index that needs it, and keeps its rows.</summary>
    [Fact]
    public async Task A_file_from_before_expiry_gets_the_column_and_the_index_and_keeps_its_rows()
    {
        var file = $"Data Source={Path.Combine(Path.GetTempPath(), $"grains-old-{Guid.NewGuid():N}.db")}";
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection(file))
        {
            await old.OpenAsync();
            await using var create = new Microsoft.Data.Sqlite.SqliteCommand(
                """
                CREATE TABLE grains_storage (
                    service_id TEXT NOT NULL, grain_type TEXT NOT NULL, grain_key TEXT NOT NULL, state_name TEXT NOT NULL,
                    payload TEXT NULL, version INTEGER NOT NULL, modified_on TEXT NOT NULL,
                    PRIMARY KEY (service_id, grain_type, grain_key, state_name)) WITHOUT ROWID;
                INSERT INTO grains_storage VALUES (@service, 'point', 'old', 'state', '{"x":5}', 7, '2026-01-01 00:00:00');
                """,
                old);
            create.Parameters.AddWithValue("service", ServiceId);
            await create.ExecuteNonQueryAsync();
        }

        var storage = await CreateStorageAsync(options: o => o.ConnectionString = file);

        Assert.Equal(5, (await storage.ReadAsync<Point>(Key("old"), default)).State!.X);
        Assert.Equal(1L, await SqliteScalarAsync(file, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'grains_storage_expiry'"));
    }

    private static async Task<object?> SqliteScalarAsync(string connectionString, string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Microsoft.Data.Sqlite.SqliteCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>
    /// The reads that need one moment's view (a state kept as entries, the membership table) take no write lock: a
    /// writer that holds the file's one write lock, here for the rest of the test, holds up neither. (They waited for
    /// it, and failed with "database is locked" once the busy timeout, 1 s here, ran out.)
    /// </summary>
    [Fact]
    public async Task Snapshot_reads_go_on_while_a_writer_holds_the_database()
    {
        var connectionString = Database.ConnectionString + ";Default Timeout=1";
        var storage = await CreateStorageAsync(options: o => o.ConnectionString = connectionString);
        await storage.WriteEntriesAsync<Point>(Key("held"), [new("a", new Point { X = 1 })], null, default);
        await using var membership = new AdoNetMembershipTable(
            "held", new AdoNetMembershipOptions { Dialect = AdoNetDialect.Sqlite, ConnectionString = connectionString }, TimeProvider.System);
        await membership.InitializeAsync(default);

        await using var writer = new Microsoft.Data.Sqlite.SqliteConnection(Database.ConnectionString);
        await writer.OpenAsync();
        await using var held = writer.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock

        var entries = await storage.ReadEntriesAsync<Point>(Key("held"), default);
        var snapshot = await membership.ReadAsync(default);

        Assert.Equal(1, Assert.Single(entries.Entries).Value.X);
        Assert.Equal(0, snapshot.Version);
    }

    /// <summary>
    /// A write that finds the file's write lock held by another process past the busy timeout (1 s here) fails as
    /// transient, saying what holds it and what to change: the driver calls no SQLite error transient, and its words
    /// ("database is locked") named neither.
    /// </summary>
    [Fact]
    public async Task A_write_that_finds_the_file_locked_by_another_process_fails_as_transient_with_what_to_do()
    {
        var storage = await CreateStorageAsync(options: o => o.ConnectionString += ";Default Timeout=1");
        await using var other = new Microsoft.Data.Sqlite.SqliteConnection(Database.ConnectionString);
        await other.OpenAsync();
        await using var held = other.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock

        var error = await Assert.ThrowsAsync<GrainStorageException>(() => storage.WriteAsync(Key("locked"), new Point { X = 1 }, null, null, default));

        Assert.True(error.IsTransient);
        Assert.Contains("database is locked", error.Message, StringComparison.Ordinal);
        Assert.Contains("Another process holds the database file's write lock", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Default Timeout'", error.Message, StringComparison.Ordinal);
        await held.RollbackAsync();
        await storage.WriteAsync(Key("locked"), new Point { X = 1 }, null, null, default);
    }

    /// <summary>
    /// The writers of one process take turns at the file: while one has its turn the others wait in the process,
    /// taking no lock on the file, and go in turn once it ends. (They went straight to the file, where the driver waits
    /// for a busy file by putting the thread to sleep, 150 ms a try, and an unlucky writer waited seconds.)
    /// </summary>
    [Fact]
    public async Task Writers_of_one_process_take_turns_at_the_file_instead_of_waiting_for_it_asleep()
    {
        var storage = await CreateStorageAsync();
        var other = await CreateStorageAsync(serviceId: "another-storage");
        var gate = SqliteDialect.Instance.WriteGate(Database.ConnectionString)!;
        await gate.WaitAsync();

        Task[] writes =
        [
            storage.WriteAsync(Key("a"), new Point { X = 1 }, null, null, default),
            other.WriteEntriesAsync<Point>(Key("b"), [new("e", new Point { X = 2 })], null, default),
            storage.ClearAsync(Key("c"), null, null, default),
        ];
        Assert.All(writes, write => Assert.False(write.IsCompleted));

        // Meanwhile the file's write lock is free for a writer outside the process (1 s of busy timeout at most).
        await using (var outside = new Microsoft.Data.Sqlite.SqliteConnection(Database.ConnectionString + ";Default Timeout=1"))
        {
            await outside.OpenAsync();
            await using var transaction = outside.BeginTransaction(deferred: false);
            await transaction.CommitAsync();
        }

        gate.Release();
        await Task.WhenAll(writes);
        Assert.Equal(1, (await storage.ReadAsync<Point>(Key("a"), default)).State!.X);
        Assert.Equal(2, Assert.Single((await other.ReadEntriesAsync<Point>(Key("b"), default)).Entries).Value.X);
    }

    [Fact]
    public async Task A_sweep_that_fails_is_logged_and_deletes_nothing_instead_of_stopping_the_silo()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-directory-{Guid.NewGuid():N}", "quotas.db");
        var options = new AdoNetGrainStorageOptions { Dialect = AdoNetDialect.Sqlite, ConnectionString = $"Data Source={missing};Mode=ReadWrite" };
        await using var storage = new AdoNetGrainStorage("Default", "sweep-failure", options, TimeProvider.System);
        using var logs = new InMemoryLoggerProvider();
        using var factory = new LoggerFactory([logs]);
        var sweeper = new ExpiredStateSweeper(storage, TimeProvider.System, factory.CreateLogger<ExpiredStateSweeper>());

        var deleted = await sweeper.SweepAsync(default);

        Assert.Equal(0, deleted);
        var failure = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("'Default' failed", failure.Message);
        Assert.NotNull(failure.Exception);
    }

    [Fact]
    public async Task A_file_from_before_expiry_existed_gets_the_column_at_start_and_keeps_its_records()
    {
        var database = TestStorage.Sqlite();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = """
                CREATE TABLE grains_storage (service_id TEXT NOT NULL, grain_type TEXT NOT NULL, grain_key TEXT NOT NULL,
                    state_name TEXT NOT NULL, payload TEXT NULL, version INTEGER NOT NULL, modified_on TEXT NOT NULL,
                    PRIMARY KEY (service_id, grain_type, grain_key, state_name)) WITHOUT ROWID;
                INSERT INTO grains_storage VALUES ('old-service', 'point', 'p', 'state', '{"x":7,"label":""}', 3, '2026-01-01 00:00:00');
                """;
            await create.ExecuteNonQueryAsync();
        }

        var options = new AdoNetGrainStorageOptions { Dialect = database.Dialect, ConnectionString = database.ConnectionString };
        await using var storage = new AdoNetGrainStorage("Default", "old-service", options, TimeProvider.System);
        await storage.InitializeAsync(default);
        var key = new GrainStateKey(GrainId.Create("point", "p"), "state");
        var old = await storage.ReadAsync<Point>(key, default);
        await storage.WriteAsync(key, new Point { X = 8 }, old.Etag, DateTimeOffset.UnixEpoch, default);

        Assert.Equal(7, old.State!.X);
        Assert.Null(old.ExpiresAt);
        Assert.Equal(1, await storage.DeleteExpiredAsync(DateTimeOffset.UnixEpoch.AddDays(1), 10, default));
    }
}

public sealed class PostgreSqlGrainStorageTests : GrainStorageConformanceTests
{
    protected override TestStorage Database { get; } = TestStorage.PostgreSql();

    /// <summary>
    /// On a server whose default isolation a DBA raised to serializable, a write that waited for a row another writer
    /// then moved on is a conflict, as under read committed. A state's single statement failed as an error of the
    /// database before (a serialization failure), which did not deactivate the activation holding the stale version.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_write_that_waited_for_a_row_another_writer_moved_on_is_a_conflict_under_serializable_isolation(bool entries)
    {
        var storage = await CreateStorageAsync(options: o => o.ConnectionString += ";Options=-c default_transaction_isolation=serializable");
        var etag = entries
            ? await storage.WriteEntriesAsync<Point>(Key("strict"), [new("a", new Point { X = 1 })], null, default)
            : await storage.WriteAsync(Key("strict"), new Point { X = 1 }, null, null, default);
        await using var writer = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await writer.OpenAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var move = new Npgsql.NpgsqlCommand(
            "UPDATE grains_storage SET version = version + 1 WHERE service_id = @service AND grain_type = 'point' AND grain_key = 'strict'", writer, transaction))
        {
            move.Parameters.AddWithValue("service", ServiceId);
            Assert.Equal(1, await move.ExecuteNonQueryAsync());
        }

        var write = entries
            ? storage.WriteEntriesAsync<Point>(Key("strict"), [new("a", new Point { X = 2 })], etag, default)
            : storage.WriteAsync(Key("strict"), new Point { X = 2 }, etag, null, default);
        await PostgreSqlLockWaits.UntilWaitingAsync(Database.ConnectionString, "UPDATE grains_storage");
        await transaction.CommitAsync();

        await Assert.ThrowsAsync<InconsistentStateException>(() => write);
    }

    /// <summary>
    /// A silo that starts on a schema that is already current takes no lock on the tables: it starts while another
    /// session holds one (here a plain read's, open for the rest of the test). Before, its ALTER TABLE waited for an
    /// exclusive lock behind that session, and every other silo's reads and writes queued behind the ALTER.
    /// </summary>
    [Fact]
    public async Task A_start_on_a_current_schema_waits_for_no_table_lock()
    {
        await CreateStorageAsync();
        await using var membership = new AdoNetMembershipTable(
            "locks", new AdoNetMembershipOptions { Dialect = AdoNetDialect.PostgreSql, ConnectionString = Database.ConnectionString }, TimeProvider.System);
        await membership.InitializeAsync(default);
        await using var reader = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await reader.OpenAsync();
        await using var transaction = await reader.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand(
            "LOCK TABLE grains_storage, grains_storage_entries, grains_membership IN ACCESS SHARE MODE", reader, transaction))
        {
            await hold.ExecuteNonQueryAsync();
        }

        // The waits guard against a hang only: a start that queued for a lock would wait for the test's end.
        var storage = await CreateStorageAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await using var another = new AdoNetMembershipTable(
            "locks", new AdoNetMembershipOptions { Dialect = AdoNetDialect.PostgreSql, ConnectionString = Database.ConnectionString }, TimeProvider.System);
        await another.InitializeAsync(default).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Null((await storage.ReadAsync<Point>(Key("nothing"), default)).State);
    }

    /// <summary>
    /// The sweep's index, missing on a table that holds rows (a database of a release before the sweep), is built
    /// concurrently and after the start: while the build waits for a transaction that wrote the table, the start has
    /// ended and writes go on; the index is built once that transaction ends. A build in the schema script's
    /// transaction queued every write behind it and failed the start at its lock timeout; a build during the start held
    /// the start for as long as the oldest transaction lived, unbounded. (In a schema of its own: other tests start
    /// storages on the shared tables.)
    /// </summary>
    [Fact]
    public async Task A_missing_sweep_index_is_built_without_holding_up_writes()
    {
        await using var schema = await OwnSchema.CreateAsync(Database.ConnectionString);
        await (await CreateStorageAsync(options: o => o.ConnectionString = schema.ConnectionString)).IndexBuild;
        await schema.ExecuteAsync("DROP INDEX grains_storage_expiry");
        await using var writer = new Npgsql.NpgsqlConnection(schema.ConnectionString);
        await writer.OpenAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var write = new Npgsql.NpgsqlCommand(
            "INSERT INTO grains_storage (service_id, grain_type, grain_key, state_name, version, modified_on) VALUES (@service, 'point', 'open', 'state', 1, now())",
            writer, transaction))
        {
            write.Parameters.AddWithValue("service", ServiceId);
            await write.ExecuteNonQueryAsync();
        }

        var started = await CreateStorageAsync(options: o => o.ConnectionString = schema.ConnectionString).WaitAsync(TimeSpan.FromSeconds(60));
        await PostgreSqlLockWaits.UntilWaitingAsync(Database.ConnectionString, "-- Grains grain storage indexes");
        await started.WriteAsync(Key("meanwhile"), new Point { X = 1 }, null, null, default);
        Assert.False(started.IndexBuild.IsCompleted, "The build ended before the transaction it waits for did: it did not build the index.");
        await transaction.CommitAsync();

        await started.IndexBuild;
        Assert.Equal(true, await schema.ScalarAsync(IndexIsValid));
    }

    /// <summary>An index a build cut short left invalid (the planner never uses it) is dropped and built again at start.</summary>
    [Fact]
    public async Task An_invalid_sweep_index_is_built_again()
    {
        await using var schema = await OwnSchema.CreateAsync(Database.ConnectionString);
        await (await CreateStorageAsync(options: o => o.ConnectionString = schema.ConnectionString)).IndexBuild;
        await schema.ExecuteAsync($"UPDATE pg_index SET indisvalid = false WHERE indexrelid = '{schema.Name}.grains_storage_expiry'::regclass");
        Assert.Equal(false, await schema.ScalarAsync(IndexIsValid));

        await (await CreateStorageAsync(options: o => o.ConnectionString = schema.ConnectionString)).IndexBuild;

        Assert.Equal(true, await schema.ScalarAsync(IndexIsValid));
    }

    private const string IndexIsValid =
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace " +
        "WHERE c.relname = 'grains_storage_expiry' AND n.nspname = current_schema()";

    /// <summary>A PostgreSQL schema of its own, first on the search path of <see cref="ConnectionString"/>; dropped at the end.</summary>
    private sealed class OwnSchema(string server, string name) : IAsyncDisposable
    {
        public string Name => name;

        public string ConnectionString { get; } = $"{server};Search Path={name}";

        public static async Task<OwnSchema> CreateAsync(string server)
        {
            var schema = new OwnSchema(server, "test_" + Guid.NewGuid().ToString("N")[..12]);
            await using var connection = new Npgsql.NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"CREATE SCHEMA {schema.Name}", connection);
            await create.ExecuteNonQueryAsync();
            return schema;
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        public async Task<object?> ScalarAsync(string sql)
        {
            await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            return await command.ExecuteScalarAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await using var connection = new Npgsql.NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA {name} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// Each object a schema script creates (table, index, added column) is named in the check that skips the script on a
    /// current schema: one missing there would never be created on a database that has all the others.
    /// </summary>
    [Theory]
    [InlineData("grains-storage.sql")]
    [InlineData("grains-membership.sql")]
    public void The_check_for_a_current_schema_names_everything_its_script_creates(string script)
    {
        var text = PostgreSqlDialect.Instance.LoadScript(script);
        var check = PostgreSqlDialect.SchemaIsCurrent[script];
        var created = System.Text.RegularExpressions.Regex.Matches(
            text, @"(?:CREATE TABLE IF NOT EXISTS|CREATE INDEX IF NOT EXISTS|ADD COLUMN IF NOT EXISTS)\s+(\w+)").Select(m => m.Groups[1].Value).ToList();

        Assert.NotEmpty(created);
        Assert.All(created, name => Assert.Contains($"'{name}'", check));
    }

    /// <summary>
    /// A record written again (its expiry lifted) while the sweep waits for its row is not deleted: the sweep picked it
    /// as expired, but the row it then gets is the new one, which has not expired.
    /// </summary>
    [Fact]
    public async Task The_sweep_leaves_a_record_written_again_while_it_waited_for_the_row()
    {
        var storage = await CreateStorageAsync();
        var noon = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        await storage.WriteAsync(Key("raced"), new Point { X = 1 }, null, noon.AddHours(-1), default);

        // Another writer holds the row while it lifts the expiry, as a write that keeps the record would.
        await using var writer = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await writer.OpenAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var lift = new Npgsql.NpgsqlCommand(
            "UPDATE grains_storage SET expires_on = NULL, version = version + 1 WHERE service_id = @service AND grain_type = 'point' AND grain_key = 'raced'", writer, transaction))
        {
            lift.Parameters.AddWithValue("service", ServiceId);
            Assert.Equal(1, await lift.ExecuteNonQueryAsync());
        }

        var sweep = storage.DeleteExpiredAsync(noon, batchSize: 10, default);
        await PostgreSqlLockWaits.UntilWaitingAsync(Database.ConnectionString, "DELETE FROM grains_storage");
        await transaction.CommitAsync();

        Assert.Equal(0, await sweep);
        var kept = await storage.ReadAsync<Point>(Key("raced"), default);
        Assert.Equal(1, kept.State!.X);
        Assert.Null(kept.ExpiresAt);
    }

    /// <summary>
    /// A write stored whose answer is then lost (the connection broke as the answer came back: a failover, a reset)
    /// succeeds with the version it stored, and the next write goes on from it. It failed before: memory went back to
    /// the old state while storage held the new one, and the next write conflicted and deactivated the grain.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_write_stored_whose_answer_was_lost_succeeds_with_the_version_it_stored(bool entries)
    {
        var storage = await CreateStorageAsync();
        var first = await WriteAsync(storage, entries, x: 1, etag: null);
        storage.AfterStoringForTests = () =>
        {
            storage.AfterStoringForTests = null;
            throw new Npgsql.NpgsqlException("Exception while reading from stream", new IOException("Connection reset by peer"));
        };

        var second = await WriteAsync(storage, entries, x: 2, first);

        Assert.Null(storage.AfterStoringForTests);
        Assert.NotEqual(first, second);
        Assert.Equal((2, second), await ReadAsync(storage, entries));
        var third = await WriteAsync(storage, entries, x: 3, second);
        Assert.Equal((3, third), await ReadAsync(storage, entries));
    }

    /// <summary>
    /// A write whose statement timed out while another session held its row was not stored: it fails as transient, and
    /// the version held before it still writes (the answer's loss is not read as a success).
    /// </summary>
    [Fact]
    public async Task A_write_that_timed_out_unstored_fails_as_transient_and_the_version_before_it_still_writes()
    {
        var storage = await CreateStorageAsync(options: o => o.ConnectionString += ";Command Timeout=1");
        var etag = await storage.WriteAsync(Key("held"), new Point { X = 1 }, null, null, default);
        await using var holder = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await holder.OpenAsync();
        await using (var transaction = await holder.BeginTransactionAsync())
        {
            await using (var hold = new Npgsql.NpgsqlCommand(
                "SELECT version FROM grains_storage WHERE service_id = @service AND grain_type = 'point' AND grain_key = 'held' FOR UPDATE", holder, transaction))
            {
                hold.Parameters.AddWithValue("service", ServiceId);
                Assert.NotNull(await hold.ExecuteScalarAsync());
            }

            var failure = await Assert.ThrowsAsync<GrainStorageException>(() => storage.WriteAsync(Key("held"), new Point { X = 2 }, etag, null, default));
            Assert.True(failure.IsTransient, failure.Message);
            await transaction.CommitAsync();
        }

        var after = await storage.WriteAsync(Key("held"), new Point { X = 3 }, etag, null, default);
        var read = await storage.ReadAsync<Point>(Key("held"), default);
        Assert.Equal((3, after), (read.State!.X, read.Etag));
    }

    private static Task<string> WriteAsync(AdoNetGrainStorage storage, bool entries, int x, string? etag) => entries
        ? storage.WriteEntriesAsync<Point>(Key("lost"), [new("a", new Point { X = x })], etag, default)
        : storage.WriteAsync(Key("lost"), new Point { X = x }, etag, null, default);

    private static async Task<(int X, string? Etag)> ReadAsync(AdoNetGrainStorage storage, bool entries)
    {
        if (entries)
        {
            var stored = await storage.ReadEntriesAsync<Point>(Key("lost"), default);
            return (stored.Entries["a"].X, stored.Etag);
        }

        var read = await storage.ReadAsync<Point>(Key("lost"), default);
        return (read.State!.X, read.Etag);
    }
}
