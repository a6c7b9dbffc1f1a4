namespace Quotas.Host;

/// <summary>The <c>Quotas</c> configuration section: how this process runs.</summary>
public sealed class HostSettings
{
    public const string SectionName = "Quotas";

    private static readonly TimeSpan s_maxShutdownDelay = TimeSpan.FromMinutes(5);

    /// <summary>Silo, Gateway or Both. Default Both.</summary>
    public HostRole Role { get; set; } = HostRole.Both;

    /// <summary>
    /// Where state lives: <c>Sqlite</c> (the embedded default, one process) or <c>PostgreSql</c> (a cluster of silos
    /// whose membership is in the same database).
    /// </summary>
    public StorageKind Storage { get; set; } = StorageKind.Sqlite;

    /// <summary>The SQLite connection string when <see cref="Storage"/> is Sqlite.</summary>
    public string SqliteConnectionString { get; set; } = "Data Source=quotas.db";

    /// <summary>The Npgsql connection string when <see cref="Storage"/> is PostgreSql.</summary>
    public string? PostgreSqlConnectionString { get; set; }

    /// <summary>The HTTP address of the API and health endpoints (plain HTTP; terminate TLS in front).</summary>
    public Uri HttpUrl { get; set; } = new("http://localhost:5000");

    /// <summary>Seeds three demo tenants (one per tier) at start. Default: on in the embedded mode (SQLite), off in a cluster.</summary>
    public bool? SeedDemoTenants { get; set; }

    public bool SeedsDemoTenants => SeedDemoTenants ?? !Clustered;

    /// <summary>
    /// How long a stopping process keeps serving while <c>/health/ready</c> answers 503, so that a load balancer probing
    /// readiness sends it no new requests before its listener closes. Default: 5 seconds for a process that serves the
    /// API in a cluster; none for a silo-only process (other processes find it by membership, not readiness) or the
    /// embedded mode (one process, nothing in front of it to tell). At most 5 minutes.
    /// </summary>
    public TimeSpan? ShutdownDelay { get; set; }

    /// <summary>
    /// When set, <c>/metrics</c> answers only a scrape that sends it as <c>Authorization: Bearer &lt;key&gt;</c>
    /// (Prometheus: <c>authorization: { credentials: ... }</c>); 16 to 248 visible ASCII characters. Unset (the default),
    /// it answers anyone who reaches the HTTP port, as a scrape target on an internal network does: it carries no
    /// tenant or pool labels, but names the silos' addresses.
    /// </summary>
    public string? MetricsKey { get; set; }

    public TimeSpan DrainDelay => ShutdownDelay ?? (Clustered && Role != HostRole.Silo ? TimeSpan.FromSeconds(5) : TimeSpan.Zero);

    /// <summary>True when this process belongs to a cluster (PostgreSQL) rather than running alone (SQLite).</summary>
    public bool Clustered => Storage == StorageKind.PostgreSql;

    /// <summary>True when this process serves the API as one of possibly several gateways of a cluster: then the admin
    /// key must come from configuration, the same on every gateway (<c>GatewayOptions.Validate</c>).</summary>
    public bool ServesApiInCluster => Role != HostRole.Silo && (Clustered || Role == HostRole.Gateway);

    /// <summary>Whether the process serves the API to other machines: its HTTP listener is on any address but loopback.</summary>
    public bool ServesApiBeyondThisMachine => Role != HostRole.Silo && HttpUrl is { IsAbsoluteUri: true, IsLoopback: false };

    /// <summary>Checks the combination and says what to change when it cannot work.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();

        // The configuration binder reads any number as an enum value, defined or not ("Quotas__Role=3").
        if (!Enum.IsDefined(Role))
        {
            errors.Add($"Quotas:Role {Role} is not a role; use {string.Join(", ", Enum.GetNames<HostRole>())}.");
        }

        if (!Enum.IsDefined(Storage))
        {
            errors.Add($"Quotas:Storage {Storage} is not a storage; use {string.Join(", ", Enum.GetNames<StorageKind>())}.");
            return errors;
        }

        if (Storage == StorageKind.PostgreSql && string.IsNullOrWhiteSpace(PostgreSqlConnectionString))
        {
            errors.Add("Quotas:Storage is PostgreSql but Quotas:PostgreSqlConnectionString is empty; set it, e.g. \"Host=localhost;Username=quotas;Password=...;Database=quotas\".");
        }

        if (Storage == StorageKind.Sqlite && string.IsNullOrWhiteSpace(SqliteConnectionString))
        {
            errors.Add("Quotas:SqliteConnectionString is empty; set it, e.g. \"Data Source=quotas.db\".");
        }

        if (Storage == StorageKind.PostgreSql && !string.IsNullOrWhiteSpace(PostgreSqlConnectionString) && Unreadable(PostgreSqlConnectionString, cs => new Npgsql.NpgsqlConnectionStringBuilder(cs)) is { } postgresError)
        {
            errors.Add($"Quotas:PostgreSqlConnectionString cannot be read ({postgresError}); write it as key=value pairs separated by semicolons, e.g. \"Host=db;Username=quotas;Password=...;Database=quotas\" (a postgres:// URL is not read).");
        }

        if (Storage == StorageKind.Sqlite && !string.IsNullOrWhiteSpace(SqliteConnectionString) && IsInMemory(SqliteConnectionString))
        {
            errors.Add("Quotas:SqliteConnectionString names an in-memory database, which loses every tenant, quota, lease and job at each restart; name a file, e.g. \"Data Source=quotas.db\".");
        }

        // A cluster's connection string without the storage that uses it would start the embedded mode, on its own SQLite
        // file: each replica with quotas of its own, and nothing in PostgreSQL.
        if (Storage == StorageKind.Sqlite && !string.IsNullOrWhiteSpace(PostgreSqlConnectionString))
        {
            errors.Add("Quotas:PostgreSqlConnectionString is set but Quotas:Storage is Sqlite, which does not use it; set Quotas:Storage to PostgreSql for a cluster, or remove the connection string for the embedded mode.");
        }

        if (Storage == StorageKind.Sqlite && Role != HostRole.Both && Enum.IsDefined(Role))
        {
            errors.Add($"Quotas:Role {Role} needs a cluster: with SQLite the only role is Both (one process). Set Quotas:Storage to PostgreSql for separate silos and gateways.");
        }

        if (ShutdownDelay is { } delay && (delay < TimeSpan.Zero || delay > s_maxShutdownDelay))
        {
            errors.Add($"Quotas:ShutdownDelay {delay} must be between 00:00:00 and {s_maxShutdownDelay}; set it a little above your load balancer's readiness probe period times its failure threshold, e.g. 00:00:05.");
        }

        if (MetricsKey is { } metricsKey && (metricsKey.Length is < 16 or > 248 || metricsKey.Any(c => c is <= ' ' or > '~')))
        {
            errors.Add("Quotas:MetricsKey must be 16 to 248 visible ASCII characters without spaces (a random one, e.g. from 'openssl rand -hex 24'), or unset for an open /metrics.");
        }

        if (HttpUrl is null)
        {
            // Set but empty (an empty environment variable): the binder makes that null rather than the default.
            errors.Add("Quotas:HttpUrl is empty; set it to a plain http://host:port address, e.g. http://0.0.0.0:5000, or remove it for the default http://localhost:5000.");
        }
        else if (!HttpUrl.IsAbsoluteUri || HttpUrl.Scheme != Uri.UriSchemeHttp || HttpUrl.AbsolutePath != "/")
        {
            errors.Add($"Quotas:HttpUrl '{HttpUrl}' must be a plain http://host:port address without a path, e.g. http://0.0.0.0:5000; terminate TLS in a proxy in front of the service.");
        }
        else if (HttpUrl.Host != "localhost" && !System.Net.IPAddress.TryParse(HttpUrl.Host, out _))
        {
            errors.Add($"Quotas:HttpUrl host '{HttpUrl.Host}' must be localhost or an IP address the process listens on; 0.0.0.0 listens on every interface.");
        }

        return errors;
    }

    /// <summary>Whether a SQLite connection string names an in-memory database; false for one that does not read, which its open reports.</summary>
    private static bool IsInMemory(string connectionString)
    {
        if (Unreadable(connectionString, cs => new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(cs)) is not null)
        {
            return false;
        }

        var sqlite = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        var source = sqlite.DataSource;

        // Also as a URI: "file::memory:?cache=shared", "file:name?mode=memory".
        return sqlite.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory || source.Length == 0 || source.StartsWith(":memory:", StringComparison.Ordinal)
            || (source.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
                && (source.Contains(":memory:", StringComparison.Ordinal) || source.Contains("mode=memory", StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>The driver's reason a connection string does not read; null when it reads.</summary>
    private static string? Unreadable(string connectionString, Action<string> read)
    {
        try
        {
            read(connectionString);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            return e.Message;
        }
    }
}

/// <summary>Where the service keeps its state.</summary>
public enum StorageKind
{
    Sqlite,
    PostgreSql,
}
