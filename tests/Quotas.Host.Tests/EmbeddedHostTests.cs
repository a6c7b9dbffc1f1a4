using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

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
    public async Task The_embedded_mode_seeds_three_demo_tenants_and_a_demo_pool_that_the_logged_admin_key_lists()
    {
        await using var host = await HostProcess.StartAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={Path.Combine(_directory, "quotas.db")}");
        var adminKey = Regex.Match(host.Output, @"the admin key of this run is (\S+)\.").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(adminKey), host.Output);
        host.Http.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);

        // Seeding runs once the host has started; wait for its log line rather than for a time.
        await host.WaitForLineAsync("Demo tenants ready", TimeSpan.FromSeconds(30));
        using var tenants = await host.GetAsync("/v1/tenants");

        Assert.Equal(HttpStatusCode.OK, tenants.StatusCode);
        var ids = JsonNode.Parse(await tenants.Content.ReadAsStringAsync())!["items"]!.AsArray().Select(t => (string?)t!["id"]).ToList();
        Assert.Equal(["demo-basic", "demo-enterprise", "demo-premium"], ids);

        using var pool = await host.GetAsync("/v1/pools/demo-pool");
        Assert.Equal(HttpStatusCode.OK, pool.StatusCode);
        var tiers = JsonNode.Parse(await pool.Content.ReadAsStringAsync())!["tiers"]!.AsArray();
        Assert.Equal(["premium:2", "enterprise:4"], tiers.Select(t => $"{t!["tier"]}:{t["weight"]}"));

        using var plan = await host.GetAsync("/v1/tenants/demo-premium/pricing-plan");
        Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        Assert.Equal("demo-premium", (string?)JsonNode.Parse(await plan.Content.ReadAsStringAsync())!["plan"]!["name"]);
    }

    [Fact]
    public async Task Without_a_tracer_a_request_starts_no_activity_and_a_problem_carries_the_request_id()
    {
        await using var host = await HostProcess.StartAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={Path.Combine(_directory, "quotas.db")}");

        using var refused = await host.GetAsync("/v1/tenants");

        // A per-request Activity and logging scope cost a third of the bytes a rate-limit check allocates; the host's
        // configuration turns them off, so the trace id is Kestrel's request id (connection:request), not W3C's.
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var traceId = (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["traceId"];
        Assert.Matches("^[0-9A-Z]+:[0-9A-F]{8}$", traceId);
    }

    [Fact]
    public async Task Readiness_fails_and_names_the_storage_when_the_database_cannot_be_opened()
    {
        // A directory where the database file should be: SQLite cannot open it once the silo is up. Without pooling
        // every probe opens the file anew.
        var database = Path.Combine(_directory, "quotas.db");
        await using var host = await HostProcess.StartAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={database};Pooling=False");
        // The host may open the file, and so create it again, between the delete and the directory's creation (its
        // background work opens the database too): the two steps are tried again until the directory stands there.
        for (var attempt = 1; !Directory.Exists(database); attempt++)
        {
            Assert.True(attempt <= 100, "The host kept creating the database file again.");
            try
            {
                File.Delete(database);
                Directory.CreateDirectory(database);
            }
            catch (IOException)
            {
            }
        }

        using var ready = await host.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        // The endpoint needs no key: the driver's message, which may name hosts, users or paths, goes to the log only.
        Assert.Equal("Sqlite storage unreachable (the log says why)\n", await ready.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// With the default connection string (pooled), readiness still notices the database file gone: a pooled connection
    /// would keep answering from the file deleted under it.
    /// </summary>
    [Fact]
    public async Task Readiness_fails_when_the_database_file_is_deleted_under_a_pooled_connection_string()
    {
        var database = Path.Combine(_directory, "quotas.db");
        await using var host = await HostProcess.StartAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={database}");
        using (var before = await host.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        File.Delete(database);
        using var ready = await host.GetAsync("/health/ready");

        // Gone, or created again empty by the silo's own work since: either way no storage table to read.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    /// <summary>
    /// A second process on the same SQLite file stops at once and says why: the two would each admit every tenant's
    /// limits and fail each other's writes. Once the first has stopped, the file is free again. The file named as a
    /// <c>file:</c> URI is locked too: read as a path, it put the lock in a directory that did not exist, and took none.
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("file:")]
    public async Task A_second_process_on_the_same_database_file_stops_with_exit_code_2_and_names_the_file(string form)
    {
        var database = Path.Combine(_directory, "shared.db");
        var first = await HostProcess.StartAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={form}{database}");
        await using (first)
        {
            await using var second = await HostProcess.RunToExitAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={form}{database}");

            Assert.Equal(2, second.ExitCode);
            Assert.Contains($"Another process uses the SQLite database {database}", second.Output);
            using var stillServing = await first.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, stillServing.StatusCode);
        }

        await using var next = await HostProcess.StartAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={database}");
        using var ready = await next.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    /// <summary>A database file in a directory that does not exist is the storage's error, not another process's lock.</summary>
    [Fact]
    public async Task A_database_in_a_missing_directory_fails_the_start_as_storage_not_as_a_held_lock()
    {
        await using var host = await HostProcess.RunToExitAsync(_directory, "--Quotas:SqliteConnectionString", $"Data Source={Path.Combine(_directory, "missing", "quotas.db")}");

        Assert.NotEqual(0, host.ExitCode);
        Assert.DoesNotContain("Another process", host.Output);
        Assert.Contains("quotas.db", host.Output);
    }

    [Theory]
    [InlineData("--Quotas:Role", "Silo", "needs a cluster")]
    [InlineData("--Quotas:Storage", "PostgreSql", "Quotas:PostgreSqlConnectionString is empty")]
    [InlineData("--Quotas:Storage", "Postgres", "'Postgres' at 'Quotas:Storage'")]
    [InlineData("--Quotas:Role", "Silo,Gateway", "Quotas:Role 'Silo,Gateway' names more than one")]
    [InlineData("--Quotas:Storage", "Sqlite,PostgreSql", "Quotas:Storage 'Sqlite,PostgreSql' names more than one")]
    [InlineData("--Quotas:ShutdownDelay", "10s", "written hh:mm:ss")]
    [InlineData("--Quotas:HttpUrl", "127.0.0.1:8080", "must be a plain http://host:port address")]
    [InlineData("--Quotas:HttpUrl", "", "Quotas:HttpUrl is empty")]
    [InlineData("--Quotas:HttpUrl", "http://0.0.0.0:5099", "Quotas:Gateway:AdminKey is empty, but Quotas:HttpUrl listens beyond this machine")]
    [InlineData("--Quotas:PostgreSqlConnectionString", "Host=db", "Quotas:Storage is Sqlite, which does not use it")]
    [InlineData("--Quotas:SqliteConnectionString", "Data Sourc=quotas.db", "keyword 'data sourc' is not supported")]
    [InlineData("--Quotas:SqliteConnectionString", "Data Source=:memory:", "names an in-memory database")]
    [InlineData("--Quotas:SqliteConnectionString", "Data Source=file::memory:?cache=shared", "names an in-memory database")]
    [InlineData("--Grains:ResponseTimeout", "30s", "'30s' at 'Grains:ResponseTimeout'")]
    [InlineData("--Grains:ResponseTimeout", "00:00:00", "ResponseTimeout")]
    [InlineData("--Quotas:Gateway:TrustedProxies", "10.0.0.0/8, proxy.local", "TrustedProxies has 'proxy.local'")]
    public async Task A_configuration_that_cannot_work_stops_at_once_with_exit_code_2_and_says_what_to_change(string key, string value, string expected)
    {
        await using var host = await HostProcess.RunToExitAsync(_directory, key, value);

        Assert.Equal(2, host.ExitCode);
        Assert.Contains(expected, host.Output);
    }

    [Fact]
    public async Task A_cluster_gateway_without_an_admin_key_stops_at_once_with_exit_code_2_and_names_the_setting()
    {
        // Validation comes before any connection, so the database named here is never reached.
        await using var host = await HostProcess.RunToExitAsync(_directory,
            "--Quotas:Role", "Gateway", "--Quotas:Storage", "PostgreSql", "--Quotas:PostgreSqlConnectionString", "Host=127.0.0.1;Port=1");

        Assert.Equal(2, host.ExitCode);
        Assert.Contains("Quotas:Gateway:AdminKey is empty", host.Output);
        Assert.Contains("Quotas__Gateway__AdminKey", host.Output);
    }

    [Fact]
    public async Task A_cluster_gateway_with_a_malformed_connection_string_stops_at_once_with_exit_code_2()
    {
        await using var host = await HostProcess.RunToExitAsync(_directory,
            "--Quotas:Role", "Gateway", "--Quotas:Storage", "PostgreSql", "--Quotas:PostgreSqlConnectionString", "Hots=db",
            "--Quotas:Gateway:AdminKey", new string('k', 32));

        Assert.Equal(2, host.ExitCode);
        Assert.Contains("Configuration error: Quotas:PostgreSqlConnectionString cannot be read (Couldn't set hots", host.Output);
    }

    /// <summary>
    /// A silo's settings are read when it starts, not when the app is built (no gateway route reads them): a malformed
    /// connection string or runtime setting there is a configuration error too, named, with exit code 2. They used to
    /// exit 1, as an unreachable database does, with the driver's words alone ("Couldn't set hots").
    /// </summary>
    [Theory]
    [InlineData("Hots=db", null, "Quotas:PostgreSqlConnectionString cannot be read (Couldn't set hots")]
    [InlineData("postgres://quotas:secret@db/quotas", null, "a postgres:// URL is not read")]
    [InlineData("Host=127.0.0.1;Port=1;Username=x;Password=y", "30s", "'30s' at 'Grains:ResponseTimeout'")]
    [InlineData("Host=127.0.0.1;Port=1;Username=x;Password=y", "00:00:00", "ResponseTimeout")]
    [InlineData("Host=127.0.0.1;Port=1;Username=x;Password=y", null, "Grains:Endpoint:Port 11111 is the port of Quotas:HttpUrl", "http://127.0.0.1:11111")]
    [InlineData("Host=127.0.0.1;Port=1;Username=x;Password=y", null, "Grains:Endpoint:Port 11111 is the port of Quotas:HttpUrl", "http://localhost:11111")]
    public async Task A_silo_with_a_malformed_setting_stops_at_once_with_exit_code_2_and_names_it(string connectionString, string? responseTimeout, string expected, string? httpUrl = null)
    {
        string[] args = ["--Quotas:Role", "Silo", "--Quotas:Storage", "PostgreSql", "--Quotas:PostgreSqlConnectionString", connectionString];
        string[] more = [.. responseTimeout is null ? [] : new[] { "--Grains:ResponseTimeout", responseTimeout }, .. httpUrl is null ? [] : new[] { "--Quotas:HttpUrl", httpUrl }];
        await using var host = await HostProcess.RunToExitAsync(_directory, [.. args, .. more]);

        Assert.Equal(2, host.ExitCode);
        Assert.Contains(expected, host.Output);
        Assert.DoesNotContain("secret", host.Output);
    }

    [Fact]
    public async Task A_silo_that_cannot_reach_its_database_stops_with_exit_code_1_and_says_so_in_one_line()
    {
        await using var host = await HostProcess.RunToExitAsync(_directory,
            "--Quotas:Role", "Silo", "--Quotas:Storage", "PostgreSql", "--Quotas:PostgreSqlConnectionString", "Host=127.0.0.1;Port=1;Username=x;Password=y");

        Assert.Equal(1, host.ExitCode);
        Assert.Contains("Quotas Silo could not start: The grain storage 'Default' cannot use PostgreSQL at 127.0.0.1:1", host.Output);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
