namespace Grains.AdoNet;

/// <summary>Where the cluster's membership table lives.</summary>
public sealed class AdoNetMembershipOptions
{
    /// <summary>PostgreSQL for clusters; SQLite for several silo processes on one machine. Default PostgreSql.</summary>
    public AdoNetDialect Dialect { get; set; } = AdoNetDialect.PostgreSql;

    /// <summary>Npgsql or Microsoft.Data.Sqlite connection string. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Create the schema (deploy/sql) on start. Default true.</summary>
    public bool CreateSchema { get; set; } = true;
}
