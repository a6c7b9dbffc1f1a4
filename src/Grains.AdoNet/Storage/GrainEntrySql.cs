namespace Grains.AdoNet.Storage;

/// <summary>
/// Statements for states kept as entries, shared by PostgreSQL and SQLite. The state's version lives in its
/// grains_storage row (see <see cref="GrainStorageSql"/>); entries are written in the transaction that moves it to a new version.
/// </summary>
internal static class GrainEntrySql
{
    private const string Key = "service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND state_name = @state_name";

    public const string ReadEntries = $"SELECT entry_key, payload FROM grains_storage_entries WHERE {Key}";

    public const string Put = """
        INSERT INTO grains_storage_entries (service_id, grain_type, grain_key, state_name, entry_key, payload)
        VALUES (@service_id, @grain_type, @grain_key, @state_name, @entry_key, @payload)
        ON CONFLICT (service_id, grain_type, grain_key, state_name, entry_key) DO UPDATE SET payload = excluded.payload
        """;

    public const string Remove = $"DELETE FROM grains_storage_entries WHERE {Key} AND entry_key = @entry_key";

    public const string RemoveAll = $"DELETE FROM grains_storage_entries WHERE {Key}";

    /// <summary>Checks at start that the table has every column the statements use.</summary>
    public const string Probe = "SELECT service_id, grain_type, grain_key, state_name, entry_key, payload FROM grains_storage_entries WHERE 1 = 0";
}
