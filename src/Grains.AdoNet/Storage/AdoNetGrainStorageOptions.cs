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

    /// <summary>How states are written as JSON. Default: <see cref="JsonSerializerDefaults.Web"/> (camelCase names).</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);
}
