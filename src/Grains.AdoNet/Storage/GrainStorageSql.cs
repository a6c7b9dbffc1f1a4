namespace Grains.AdoNet.Storage;

/// <summary>
/// The storage statements, shared by PostgreSQL and SQLite (both accept @name parameters, ON CONFLICT and row values).
/// The version column is the ETag: a write or clear matches it and sets a new random one (@written), or changes
/// nothing. Random, not the next number: a record created again after the sweep deleted it never takes the version a
/// writer of the deleted one may still hold, and a writer whose answer was lost can tell its own write from another's.
/// </summary>
internal static class GrainStorageSql
{
    private const string Key = "service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND state_name = @state_name";

    public const string Read = $"SELECT payload, version, expires_on FROM grains_storage WHERE {Key}";

    public const string ReadVersion = $"SELECT version FROM grains_storage WHERE {Key}";

    public const string Insert = """
        INSERT INTO grains_storage (service_id, grain_type, grain_key, state_name, payload, version, modified_on, expires_on)
        VALUES (@service_id, @grain_type, @grain_key, @state_name, @payload, @written, @modified_on, @expires_on)
        ON CONFLICT (service_id, grain_type, grain_key, state_name) DO NOTHING
        """;

    public const string Update = $"""
        UPDATE grains_storage SET payload = @payload, version = @written, modified_on = @modified_on, expires_on = @expires_on
        WHERE {Key} AND version = @version
        """;

    /// <summary>
    /// Deletes up to @batch records of the service that expired before @cutoff. Only plain states can have an expiry
    /// (states kept as entries write none), so no entry rows are left behind. One batch per statement keeps each
    /// transaction short. The expiry is tested again on the row deleted: on PostgreSQL a row written again while the
    /// statement waited for its lock is re-checked against the outer condition only, and the write (acknowledged)
    /// would otherwise be deleted.
    /// </summary>
    public const string DeleteExpired = """
        DELETE FROM grains_storage
        WHERE service_id = @service_id AND expires_on < @cutoff AND (grain_type, grain_key, state_name) IN (
            SELECT grain_type, grain_key, state_name FROM grains_storage
            WHERE service_id = @service_id AND expires_on < @cutoff
            LIMIT @batch)
        """;

    /// <summary>Checks at start that the table has every column the statements use.</summary>
    public const string Probe = "SELECT service_id, grain_type, grain_key, state_name, payload, version, modified_on, expires_on FROM grains_storage WHERE 1 = 0";
}
