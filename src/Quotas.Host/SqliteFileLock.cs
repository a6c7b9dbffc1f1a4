using Microsoft.Data.Sqlite;

namespace Quotas.Host;

/// <summary>
/// The embedded mode's claim on its SQLite file: one process per file. Two would each keep the tenants' rate windows in
/// their own memory (each tenant's limits admitted once per process) and fail each other's writes on version conflicts;
/// a rolling update that starts the new process before the old one ends, on the same volume, does just that. Held as an
/// exclusive lock on a file beside the database (<c>quotas.db.lock</c>) for the process's life: the lock, not the
/// file, is what counts, so a file left by a process that died does not stop the next.
/// </summary>
internal static class SqliteFileLock
{
    /// <summary>
    /// Takes the lock; <paramref name="refusal"/> says why when another process holds it. Null when nothing is locked:
    /// refused, an in-memory database (no other process can open it), or a path the database's own open will report.
    /// </summary>
    public static IDisposable? TryAcquire(string connectionString, out string? refusal)
    {
        refusal = null;
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode == SqliteOpenMode.Memory || builder.DataSource.Length == 0 || builder.DataSource.StartsWith(":memory:", StringComparison.Ordinal))
        {
            return null;
        }

        if (DatabaseFile(connectionString) is not { } database)
        {
            return null;
        }

        var path = database + ".lock";
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsHeldByAnother(e))
        {
            refusal = $"Another process uses the SQLite database {database} (it holds {path}): the embedded mode runs one process per database file. " +
                "Stop the other process first, or set Quotas:SqliteConnectionString to another file; for several processes sharing state, use Quotas:Storage PostgreSql.";
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No such directory, a read-only file system, no right to write there: the database's own open reports it,
            // naming the file, as it did before there was a lock.
            return null;
        }
    }

    /// <summary>
    /// The file the connection string opens, as SQLite resolved it: a <c>file:</c> URI or a <c>|DataDirectory|</c> path
    /// names it otherwise than a plain path does, and read as one it put the lock in a directory that does not exist, so
    /// that no lock was taken. Null when it does not open (the storage's own open reports why, naming the file). The
    /// connection is not pooled: nothing of it stays open once the file is known.
    /// </summary>
    private static string? DatabaseFile(string connectionString)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT file FROM pragma_database_list WHERE name = 'main'";
            return command.ExecuteScalar() is string { Length: > 0 } file ? file : null;
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            // A setting this build cannot open with (a password without SQLCipher, say): the storage's open says so.
            return null;
        }
    }

    /// <summary>
    /// Whether the exclusive open failed for the lock another process holds, not for the file system (no directory, a
    /// read-only disk): the sharing violation on Windows, EWOULDBLOCK from flock on Linux (11) and macOS (35).
    /// </summary>
    private static bool IsHeldByAnother(IOException e) => e.GetType() == typeof(IOException) && e.HResult is unchecked((int)0x80070020) or 11 or 35;
}
