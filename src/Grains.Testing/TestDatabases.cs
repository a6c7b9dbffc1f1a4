namespace Grains.Testing;

/// <summary>Where tests find their databases. PostgreSQL comes from GRAINS_TEST_POSTGRES (the test script sets it).</summary>
public static class TestDatabases
{
    public const string PostgreSqlVariable = "GRAINS_TEST_POSTGRES";

    public const string DefaultPostgreSql = "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres;Database=grains_test";

    public static string PostgreSqlConnectionString =>
        Environment.GetEnvironmentVariable(PostgreSqlVariable) is { Length: > 0 } value ? value : DefaultPostgreSql;

    /// <summary>A path for a fresh SQLite database file under the temp folder.</summary>
    public static string NewSqlitePath()
    {
        var folder = Path.Combine(Path.GetTempPath(), "grains-tests");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, $"{Guid.NewGuid():N}.db");
    }

    /// <summary>A service id no other test uses, so tests sharing one database never see each other's rows.</summary>
    public static string NewServiceId() => "test-" + Guid.NewGuid().ToString("N")[..16];
}
