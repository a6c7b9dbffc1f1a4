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

    public override async Task ApplySchemaAsync(DbConnection connection, string script, CancellationToken cancellationToken)
    {
        // SQLite takes a database-wide write lock per statement, and the script only creates what is missing.
        await using var command = connection.CreateCommand();
        command.CommandText = script;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
