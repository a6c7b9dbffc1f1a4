using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Grains.AdoNet.Dialects;

internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override string DisplayName => "SQLite";

    public override string ScriptFolder => "sqlite";

    // SQLite transactions are serializable.
    public override System.Data.IsolationLevel SnapshotIsolation => System.Data.IsolationLevel.Serializable;

    public override DbDataSource CreateDataSource(string connectionString) => SqliteFactory.Instance.CreateDataSource(connectionString);

    public override string DescribeTarget(string connectionString)
    {
        var source = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return string.IsNullOrEmpty(source) || source == ":memory:"
            ? "SQLite in memory"
            : $"SQLite file '{Path.GetFullPath(source)}'";
    }

    public override async Task UpgradeStorageSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (!await HasExpiryColumnAsync(connection, cancellationToken))
        {
            try
            {
                await using var add = connection.Command("ALTER TABLE grains_storage ADD COLUMN expires_on TEXT NULL");
                await add.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (SqliteException)
            {
                // Another storage on the same file may have added it first; anything else fails the start.
                if (!await HasExpiryColumnAsync(connection, cancellationToken))
                {
                    throw;
                }
            }
        }

        await using var index = connection.Command(
            "CREATE INDEX IF NOT EXISTS grains_storage_expiry ON grains_storage (service_id, expires_on) WHERE expires_on IS NOT NULL");
        await index.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<bool> HasExpiryColumnAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var probe = connection.Command("SELECT COUNT(*) FROM pragma_table_info('grains_storage') WHERE name = 'expires_on'");
        return Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    public override async Task ApplySchemaAsync(DbConnection connection, string script, CancellationToken cancellationToken)
    {
        // SQLite takes a database-wide write lock per statement, and the script only creates what is missing.
        await using var command = connection.CreateCommand();
        command.CommandText = script;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
