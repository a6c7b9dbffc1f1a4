namespace Grains.AdoNet.Clustering;

/// <summary>The membership statements, shared by PostgreSQL and SQLite. Each change bumps the version row first (CAS).</summary>
internal static class MembershipSql
{
    private const string RowKey = "cluster_id = @cluster_id AND host = @host AND port = @port AND generation = @generation";

    public const string EnsureVersionRow = """
        INSERT INTO grains_membership_version (cluster_id, version, modified_on) VALUES (@cluster_id, 0, @now)
        ON CONFLICT (cluster_id) DO NOTHING
        """;

    public const string ReadVersion = "SELECT version FROM grains_membership_version WHERE cluster_id = @cluster_id";

    public const string ReadRows = """
        SELECT host, port, generation, silo_name, status, suspicions, start_time, i_am_alive_time, etag, activations
        FROM grains_membership WHERE cluster_id = @cluster_id
        """;

    public const string BumpVersion = """
        UPDATE grains_membership_version SET version = version + 1, modified_on = @now
        WHERE cluster_id = @cluster_id AND version = @expected_version
        """;

    public const string InsertRow = """
        INSERT INTO grains_membership (cluster_id, host, port, generation, silo_name, status, suspicions, start_time, i_am_alive_time, etag)
        VALUES (@cluster_id, @host, @port, @generation, @silo_name, @status, @suspicions, @start_time, @i_am_alive_time, 1)
        ON CONFLICT (cluster_id, host, port, generation) DO NOTHING
        """;

    // The heartbeat is written apart (IAmAlive), without moving the row's etag: a change made from an entry read before
    // the silo's latest heartbeat (another silo's vote) keeps that heartbeat rather than put the older one back.
    public const string UpdateRow = $"""
        UPDATE grains_membership SET silo_name = @silo_name, status = @status, suspicions = @suspicions,
            i_am_alive_time = CASE WHEN i_am_alive_time > @i_am_alive_time THEN i_am_alive_time ELSE @i_am_alive_time END, etag = etag + 1
        WHERE {RowKey} AND etag = @etag
        """;

    public const string IAmAlive = $"UPDATE grains_membership SET i_am_alive_time = @i_am_alive_time, activations = @activations WHERE {RowKey}";

    // Dead rows, and Joining ones: a silo that died between its insert and becoming Active is never probed, so nothing
    // else would ever end its row, and each crash-looping start would leave one more for every silo to read each second.
    public const string CleanupDefunct = "DELETE FROM grains_membership WHERE cluster_id = @cluster_id AND status IN (1, 4) AND i_am_alive_time < @older_than";

    /// <summary>Removing rows is a change too: views must see a new version.</summary>
    public const string AdvanceVersion = "UPDATE grains_membership_version SET version = version + 1, modified_on = @now WHERE cluster_id = @cluster_id";
}
