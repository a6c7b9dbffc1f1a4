using System.Globalization;
using Grains.Testing;
using Npgsql;

namespace Quotas.Host.Tests;

/// <summary>
/// A database whose schema a DBA made ahead of time, for a role that may not create or alter tables: with
/// Grains:Membership:CreateSchema false a silo runs no DDL on the membership table. Shown in a PostgreSQL schema of
/// its own that has no membership table, where a silo that ran the DDL would have made one.
/// </summary>
public sealed class MembershipSchemaTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("quotas-host-schema-").FullName;
    private readonly string _schema = "membership_" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync() => await ExecuteAsync($"CREATE SCHEMA {_schema}");

    public async Task DisposeAsync()
    {
        await ExecuteAsync($"DROP SCHEMA {_schema} CASCADE");
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task With_membership_schema_creation_off_a_silo_creates_no_membership_table()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(TestDatabases.PostgreSqlConnectionString) { SearchPath = _schema }.ConnectionString;

        await using var host = await HostProcess.RunToExitAsync(_directory,
            "--Quotas:Role", "Silo", "--Quotas:Storage", "PostgreSql", "--Quotas:PostgreSqlConnectionString", connectionString,
            "--Grains:Endpoint:Port", HostProcess.FreePort().ToString(CultureInfo.InvariantCulture), "--Grains:Membership:CreateSchema", "false");

        Assert.Equal(1, host.ExitCode);
        Assert.Contains("grains_membership", host.Output);
        Assert.Equal(0L, await CountAsync($"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{_schema}' AND table_name = 'grains_membership'"));
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestDatabases.PostgreSqlConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestDatabases.PostgreSqlConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
