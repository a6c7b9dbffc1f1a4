using System.Data.Common;
using Npgsql;

namespace Grains.AdoNet.Dialects;

internal sealed class PostgreSqlDialect : SqlDialect
{
    public static readonly PostgreSqlDialect Instance = new();

    // Any constant shared by every Grains silo: serialises schema creation across processes.
    private const long SchemaLockKey = 0x4752_4149_4E53;

    // Another: one silo at a time builds an index (see UpgradeStorageSchemaAsync).
    private const long IndexLockKey = 0x4752_4149_4E54;

    private const string ExpiryIndex = "grains_storage_expiry";

    public override string DisplayName => "PostgreSQL";

    public override string ScriptFolder => "postgresql";

    public override ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);

    public override async Task NotifyAsync(DbConnection connection, DbTransaction transaction, string channel, string payload, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("SELECT pg_notify(@channel, @payload)", transaction).With("channel", channel).With("payload", payload);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task ListenAsync(DbDataSource dataSource, string channel, Action<string> onNotification, CancellationToken cancellationToken)
    {
        await using var connection = (NpgsqlConnection)await dataSource.OpenConnectionAsync(cancellationToken);
        connection.Notification += (_, notification) => onNotification(notification.Payload);
        await using (var listen = connection.Command($"LISTEN {channel}"))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            // A quiet period ends with a round trip, so a dead server is noticed instead of waited on forever.
            if (!await connection.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken))
            {
                await using var ping = connection.Command("SELECT 1");
                await ping.ExecuteScalarAsync(cancellationToken);
            }
        }
    }

    public override DbDataSource CreateDataSource(string connectionString) => NpgsqlDataSource.Create(connectionString);

    // Npgsql throws PostgresException for what the server answered, and a plain NpgsqlException when the connection
    // broke or the command timed out: a commit or statement already sent may have taken effect.
    public override bool OutcomeUnknown(DbException exception) => exception is NpgsqlException and not PostgresException;

    // Under repeatable read or serializable (default_transaction_isolation raised on the server), a write that waited for
    // a row another writer then changed fails with a serialization failure, where read committed finds the version moved.
    public override bool IsConcurrentChange(DbException exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure };

    public override string DescribeTarget(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL at {builder.Host ?? "localhost"}:{builder.Port}, database '{builder.Database ?? builder.Username}'";
    }

    /// <summary>
    /// Runs the script only when the schema lacks something it creates. Its ALTER TABLE takes an exclusive lock on the
    /// table before it finds that nothing is to be done: run at every start, a silo of a
    /// rolling restart would queue behind any long transaction on the table, and every other silo's reads and writes
    /// behind it. When the script must run, its locks wait at most <see cref="SchemaLockTimeout"/>, and the start fails
    /// with that cause rather than stall the cluster's storage.
    /// </summary>
    public override async Task ApplySchemaAsync(DbConnection connection, string scriptName, CancellationToken cancellationToken)
    {
        if (await IsCurrentAsync(connection, null, scriptName, cancellationToken))
        {
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT pg_advisory_xact_lock({SchemaLockKey}); SET LOCAL lock_timeout = '{SchemaLockTimeout}';";
            await command.ExecuteNonQueryAsync(cancellationToken);

            // Looked at again under the lock: silos that started together and waited for the one that changed the
            // schema find it current now, and take no table lock either.
            if (!await IsCurrentAsync(connection, transaction, scriptName, cancellationToken))
            {
                command.CommandText = LoadScript(scriptName);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Builds the sweep's index when it is missing, or invalid (a build cut short leaves it so), concurrently and outside
    /// any transaction (grains-storage-indexes.sql): on a table that already holds rows, a plain CREATE INDEX holds a
    /// lock that queues every write of every silo for as long as the build takes. One silo builds at a time; another
    /// that starts meanwhile goes on without waiting, since the sweep works without the index, only slower.
    /// </summary>
    public override async Task UpgradeStorageSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (await IndexIsValidAsync(connection, ExpiryIndex, cancellationToken) == true)
        {
            return;
        }

        await using (var take = connection.Command($"SELECT pg_try_advisory_lock({IndexLockKey})"))
        {
            if (await take.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return;
            }
        }

        try
        {
            // Looked at again under the lock: another silo may have built it since.
            var valid = await IndexIsValidAsync(connection, ExpiryIndex, cancellationToken);
            if (valid == false)
            {
                await using var drop = connection.Command($"DROP INDEX CONCURRENTLY IF EXISTS {ExpiryIndex}");
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }

            if (valid != true)
            {
                await using var build = connection.Command(LoadScript("grains-storage-indexes.sql"));
                build.CommandTimeout = 0; // as long as the table takes; nothing waits on it but this start
                await build.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        finally
        {
            // Not cancelled with the start: a lock left on a pooled connection would keep every other silo from building.
            await using var release = connection.Command($"SELECT pg_advisory_unlock({IndexLockKey})");
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>Whether the index in the current schema is valid; null when there is none.</summary>
    private static async Task<bool?> IndexIsValidAsync(DbConnection connection, string index, CancellationToken cancellationToken)
    {
        await using var probe = connection.Command($"""
            SELECT i.indisvalid FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relname = '{index}'
            """);
        return await probe.ExecuteScalarAsync(cancellationToken) as bool?;
    }

    private static async Task<bool> IsCurrentAsync(DbConnection connection, DbTransaction? transaction, string scriptName, CancellationToken cancellationToken)
    {
        if (!SchemaIsCurrent.TryGetValue(scriptName, out var check))
        {
            return false;
        }

        await using var probe = connection.Command(check, transaction);
        return await probe.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>How long a schema change waits for a table lock (a PostgreSQL interval).</summary>
    private const string SchemaLockTimeout = "10s";

    // Per script, a read of the catalog (which locks no table) that is true when everything the script creates exists
    // in the schema it creates them in (the first of the search path, current_schema()): the tables, the columns added
    // since, the indexes. A script that gains an object must gain it here too (a test checks that each object a script
    // creates is named here).
    internal static readonly IReadOnlyDictionary<string, string> SchemaIsCurrent = new Dictionary<string, string>
    {
        ["grains-storage.sql"] = $"""
            SELECT {Relation("grains_storage")} AND {Relation("grains_storage_entries")} AND {Column("grains_storage", "expires_on")}
            """,
        ["grains-membership.sql"] = $"""
            SELECT {Relation("grains_membership_version")} AND {Relation("grains_membership")} AND {Column("grains_membership", "activations")}
            """,
    };

    private static string Relation(string name) =>
        $"EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = '{name}')";

    private static string Column(string table, string column) =>
        $"EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' AND column_name = '{column}')";
}
