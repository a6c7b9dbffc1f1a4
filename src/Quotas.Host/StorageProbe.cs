using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Quotas.Host;

/// <summary>
/// Answers "is the database reachable now?" for the readiness endpoint, bounded by a short timeout. The answer says
/// only that it is not: the endpoint needs no key, and the driver's message may name hosts, users or paths, so that
/// goes to the log.
/// </summary>
internal sealed partial class StorageProbe(HostSettings settings, ILogger<StorageProbe> logger)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(2);

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        try
        {
            await using DbConnection connection = settings.Clustered
                ? new NpgsqlConnection(settings.PostgreSqlConnectionString)
                : new SqliteConnection(SqliteProbeConnectionString(settings.SqliteConnectionString!));
            await connection.OpenAsync(timeout.Token);
            await using var command = connection.CreateCommand();
            command.CommandText = settings.Clustered ? PostgreSqlReadOnly : "SELECT count(*) FROM grains_storage WHERE 0";
            if (await command.ExecuteScalarAsync(timeout.Token) is true)
            {
                // Reachable, but every write would fail: a standby after a failover (a connection string without
                // Target Session Attributes=primary may land on one), or a server set read-only (one near a full disk).
                if (Interlocked.Exchange(ref _unreachable, 1) == 0)
                {
                    LogReadOnly(logger);
                }

                return "PostgreSql storage is read-only (a standby, or transaction_read_only on; the log says more)";
            }

            if (Interlocked.Exchange(ref _unreachable, 0) == 1)
            {
                LogReachableAgain(logger, settings.Storage);
            }

            return null;
        }
        catch (Exception exception) when ((exception is DbException or OperationCanceledException or InvalidOperationException) && !cancellationToken.IsCancellationRequested)
        {
            // Logged when it becomes unreachable, not at every probe: a probe every few seconds through an outage
            // would fill the log with the same error.
            if (Interlocked.Exchange(ref _unreachable, 1) == 0)
            {
                LogUnreachable(logger, exception, settings.Storage);
            }

            return $"{settings.Storage} storage unreachable (the log says why)";
        }
    }

    private int _unreachable;

    /// <summary>True when a write would be refused: the server is a standby, or this session's transactions are read-only.</summary>
    private const string PostgreSqlReadOnly = "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'";

    /// <summary>
    /// The file as it is now: a connection of its own (a pooled one keeps a file deleted or replaced since open, and
    /// answers from it), that does not create a missing file, reading the storage table (SELECT 1 reads no page).
    /// </summary>
    private static string SqliteProbeConnectionString(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = false };
        if (builder.Mode == SqliteOpenMode.ReadWriteCreate)
        {
            builder.Mode = SqliteOpenMode.ReadWrite;
        }

        return builder.ConnectionString;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Readiness: {Storage} storage unreachable; logged again once it has been reachable")]
    private static partial void LogUnreachable(ILogger logger, Exception exception, object storage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Readiness: PostgreSQL answers read-only (a standby in recovery, or transaction_read_only on: a server near a full disk, or one set so); not ready until it takes writes; logged again once it has been ready")]
    private static partial void LogReadOnly(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Readiness: {Storage} storage reachable again")]
    private static partial void LogReachableAgain(ILogger logger, object storage);
}
