using Npgsql;

namespace Grains.Testing;

/// <summary>For tests that make one PostgreSQL session wait for a row another holds, then act while it waits.</summary>
public static class PostgreSqlLockWaits
{
    /// <summary>
    /// Waits (asking the server every 20 ms, at most 30 s) until a session of this database waits for a lock while
    /// running a statement that starts with <paramref name="statementStart"/>. The server has no event to wait on.
    /// </summary>
    public static async Task UntilWaitingAsync(string connectionString, string statementStart)
    {
        await using var watcher = new NpgsqlConnection(connectionString);
        await watcher.OpenAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            await using var waiting = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE @statement AND datname = current_database()",
                watcher);
            waiting.Parameters.AddWithValue("statement", statementStart + "%");
            if ((long)(await waiting.ExecuteScalarAsync(deadline.Token))! > 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
        }
    }
}
