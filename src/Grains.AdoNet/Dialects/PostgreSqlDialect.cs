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

    public override System.Data.IsolationLevel SnapshotIsolation => System.Data.IsolationLevel.RepeatableRead;

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
