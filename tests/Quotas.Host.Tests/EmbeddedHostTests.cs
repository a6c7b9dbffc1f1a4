using System.Net;

namespace Quotas.Host.Tests;

public sealed class EmbeddedHostTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("quotas-host-").FullName;

    [Fact]
    public async Task The_default_configuration_runs_silo_and_gateway_on_sqlite_and_reports_ready()
    {
        await using var host = await HostProcess.StartAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={Path.Combine(_directory, "quotas.db")}");

        using var live = await host.GetAsync("/health/live");
        using var ready = await host.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True(File.Exists(Path.Combine(_directory, "quotas.db")), host.Output);
    }

    [Fact]
    public async Task Readiness_fails_and_names_the_storage_when_the_database_cannot_be_opened()
    {
        // A directory where the database file should be: SQLite cannot open it once the silo is up. Without pooling
        // every probe opens the file anew.
        var database = Path.Combine(_directory, "quotas.db");
        await using var host = await HostProcess.StartAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={database};Pooling=False");
        File.Delete(database);
        Directory.CreateDirectory(database);

        using var ready = await host.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("Sqlite storage unreachable", await ready.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("--Quotas:Role", "Silo", "needs a cluster")]
    [InlineData("--Quotas:Storage", "PostgreSql", "Quotas:PostgreSqlConnectionString is empty")]
    public async Task A_configuration_that_cannot_work_stops_at_once_with_exit_code_2_and_says_what_to_change(string key, string value, string expected)
    {
        await using var host = await HostProcess.RunToExitAsync(_directory, key, value);

        Assert.Equal(2, host.ExitCode);
        Assert.Contains(expected, host.Output);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
