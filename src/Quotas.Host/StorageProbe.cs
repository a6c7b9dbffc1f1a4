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
            command.CommandText = settings.Clustered ? "SELECT 1" : "SELECT count(*) FROM grains_storage WHERE 0";
            await command.ExecuteScalarAsync(timeout.Token);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Readiness: {Storage} storage reachable again")]
    private static partial void LogReachableAgain(ILogger logger, object storage);
}
