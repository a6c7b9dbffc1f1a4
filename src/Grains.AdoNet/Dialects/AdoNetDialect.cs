namespace Grains.AdoNet;

/// <summary>The databases Grains stores in: PostgreSQL for clusters, SQLite for one process or one machine.</summary>
public enum AdoNetDialect
{
    PostgreSql,
    Sqlite,
}
