using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Grains.AdoNet.Dialects;

internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override string DisplayName => "SQLite";

    public override string ScriptFolder => "sqlite";

    // A deferred transaction: its first read takes a snapshot of the write-ahead log, and it never takes the file's one
    // write lock (the default, BEGIN IMMEDIATE, would: every membership poll and every read of a large state would then
    // hold up each writer, and wait behind them).
    public override ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: true));

    public override DbDataSource CreateDataSource(string connectionString) => SqliteFactory.Instance.CreateDataSource(connectionString);

    // SQLITE_BUSY and SQLITE_LOCKED: another process held the file's write lock past the busy timeout. The driver calls
    // no SQLite error transient, though trying again once that process is done succeeds.
    public override bool IsTransient(DbException exception) => exception is SqliteException { SqliteErrorCode: 5 or 6 } || exception.IsTransient;

    public override string Hint(DbException exception) => exception is SqliteException { SqliteErrorCode: 5 or 6 }
        ? " Another process holds the database file's write lock (a second process on the same file, or a tool with a transaction open): stop it or end its transaction, or raise 'Default Timeout' in the connection string (seconds, 30 by default)."
        : "";

    private static readonly ConcurrentDictionary<string, SemaphoreSlim> s_writeGates = new(StringComparer.Ordinal);

    // A file has one writer at a time, and Microsoft.Data.Sqlite waits for a busy file by putting the thread to sleep,
    // 150 ms a try, the first to try again after the lock is free winning: under contention a thread-pool thread sleeps
    // per waiting writer, and an unlucky write waited seconds (measured in bench/Grains.Benchmarks RESULTS.md,
    // "SQLite writers"). The process's writers queue here instead, in order and holding no thread.
    public override SemaphoreSlim? WriteGate(string connectionString) =>
        s_writeGates.GetOrAdd(GateKey(connectionString), static _ => new SemaphoreSlim(1, 1));

    private static string GateKey(string connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:" ? connectionString : Path.GetFullPath(source);
    }

    public override string DescribeTarget(string connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:"
            ? "SQLite in memory"
            : $"SQLite file '{Path.GetFullPath(source)}'";
    }

    public override string? CannotKeepData(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        return string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory
            ? "an in-memory SQLite database lives only as long as one connection, and every connection opens an empty one of its own, " +
              "so the schema and every acknowledged write would be lost; give a file, as in 'Data Source=quotas.db'"
            : null;
    }

    /// <summary>A file created before expiry existed gets the column the script's index needs (a new file has no table yet).</summary>
    public override async Task PrepareStorageSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (await HasTableAsync(connection, "grains_storage", cancellationToken))
        {
            await AddColumnIfMissingAsync(connection, "grains_storage", "expires_on", "TEXT NULL", cancellationToken);
        }
    }

    public override Task UpgradeMembershipSchemaAsync(DbConnection connection, CancellationToken cancellationToken) =>
        AddColumnIfMissingAsync(connection, "grains_membership", "activations", "INTEGER NULL", cancellationToken);

    public override async Task ApplySchemaAsync(DbConnection connection, string scriptName, CancellationToken cancellationToken)
    {
        // SQLite takes a database-wide write lock per statement, and the script only creates what is missing.
        await using var command = connection.CreateCommand();
        command.CommandText = LoadScript(scriptName);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>SQLite has no ADD COLUMN IF NOT EXISTS: looks first, and tolerates a concurrent start that added it.</summary>
    private static async Task AddColumnIfMissingAsync(DbConnection connection, string table, string column, string definition, CancellationToken cancellationToken)
    {
        if (await HasColumnAsync(connection, table, column, cancellationToken))
        {
            return;
        }

        try
        {
            await using var add = connection.Command($"ALTER TABLE {table} ADD COLUMN {column} {definition}");
            await add.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqliteException)
        {
            if (!await HasColumnAsync(connection, table, column, cancellationToken))
            {
                throw;
            }
        }
    }

    private static async Task<bool> HasTableAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var probe = connection.Command($"SELECT COUNT(*) FROM pragma_table_info('{table}')");
        return Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static async Task<bool> HasColumnAsync(DbConnection connection, string table, string column, CancellationToken cancellationToken)
    {
        await using var probe = connection.Command($"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = @column").With("column", column);
        return Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }
}
