using System.Data.Common;
using Npgsql;

namespace Grains.AdoNet.Dialects;

internal sealed class PostgreSqlDialect : SqlDialect
{
    public static readonly PostgreSqlDialect Instance = new();

    // Any constant shared by every Grains silo: serialises schema creation across processes.
    private const long SchemaLockKey = 0x4752_4149_4E53;

    public override string DisplayName => "PostgreSQL";

    public override string ScriptFolder => "postgresql";

    public override DbDataSource CreateDataSource(string connectionString) => NpgsqlDataSource.Create(connectionString);

    public override string DescribeTarget(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL at {builder.Host ?? "localhost"}:{builder.Port}, database '{builder.Database ?? builder.Username}'";
    }

    public override async Task ApplySchemaAsync(DbConnection connection, string script, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT pg_advisory_xact_lock({SchemaLockKey});";
            await command.ExecuteNonQueryAsync(cancellationToken);
            command.CommandText = script;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
