using System.Text.Json;

namespace Grains.AdoNet;

/// <summary>Settings of one named ADO.NET grain storage.</summary>
public sealed class AdoNetGrainStorageOptions
{
    /// <summary>Which database the connection string points at. Default PostgreSql.</summary>
    public AdoNetDialect Dialect { get; set; } = AdoNetDialect.PostgreSql;

    /// <summary>Npgsql or Microsoft.Data.Sqlite connection string. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Create the schema (deploy/sql) on start. Default true; turn off when a DBA manages the schema.</summary>
    public bool CreateSchema { get; set; } = true;

    /// <summary>
    /// How often the silo deletes records whose <see cref="IPersistentState{TState}.ExpiresAt"/> passed more than
    /// <see cref="ExpiredStateGracePeriod"/> ago. Default 10 minutes; zero (or <see cref="Timeout.InfiniteTimeSpan"/>)
    /// turns the sweep off, for a database where another job deletes them.
    /// </summary>
    public TimeSpan ExpiredStateSweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long after its expiry a record is kept before the sweep deletes it. Default 1 hour: longer than an idle
    /// activation lives, so the sweep does not delete a record under an activation that may still write it.
    /// </summary>
    public TimeSpan ExpiredStateGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How states are written as JSON. Default: <see cref="JsonSerializerDefaults.Web"/> (camelCase names).</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);
}
