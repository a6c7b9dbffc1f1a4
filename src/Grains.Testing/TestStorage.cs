using System.Data.Common;
using Grains.AdoNet;
using Grains.Hosting;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Grains.Testing;

/// <summary>The grain storage a test cluster uses: a SQLite file or the PostgreSQL test database.</summary>
public sealed class TestStorage
{
    private TestStorage(AdoNetDialect dialect, string connectionString, string description)
    {
        Dialect = dialect;
        ConnectionString = connectionString;
        Description = description;
    }

    public AdoNetDialect Dialect { get; }

    public string ConnectionString { get; }

    public string Description { get; }

    /// <summary>A SQLite file; a new temporary one when no path is given.</summary>
    public static TestStorage Sqlite(string? path = null)
    {
        path ??= TestDatabases.NewSqlitePath();
        return new TestStorage(AdoNetDialect.Sqlite, $"Data Source={path}", $"SQLite {path}");
    }

    /// <summary>
    /// The PostgreSQL test database (or the given connection string). Each silo opens its own pools, so pools are kept
    /// small unless the connection string says otherwise: a cluster of silos must fit the server's max_connections.
    /// </summary>
    public static TestStorage PostgreSql(string? connectionString = null)
    {
        connectionString ??= TestDatabases.PostgreSqlConnectionString;
        try
        {
            // The generic builder holds only the keys given; Npgsql's reports every keyword it knows.
            var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
            if (!given.ContainsKey("Maximum Pool Size") && !given.ContainsKey("Max Pool Size") && !given.ContainsKey("MaxPoolSize"))
            {
                connectionString = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 8 }.ConnectionString;
            }
        }
        catch (ArgumentException)
        {
            // Left as given: the silo reports the invalid connection string at start.
        }

        return new(AdoNetDialect.PostgreSql, connectionString, "PostgreSQL");
    }

    public void AddTo(ISiloBuilder builder, string name) =>
        builder.AddAdoNetGrainStorage(name, options =>
        {
            options.Dialect = Dialect;
            options.ConnectionString = ConnectionString;
        });

    /// <summary>Keeps the cluster's membership in this database.</summary>
    public void AddMembershipTo(ISiloBuilder builder) => builder.UseAdoNetClustering(MembershipOptions());

    public void AddMembershipTo(IClientBuilder builder) => builder.UseAdoNetClustering(MembershipOptions());

    /// <summary>
    /// Runs one SQL statement on the storage database, as an operator (or a damaged disk) would behind the silos' back;
    /// answers the number of rows it changed. Parameters are named <c>@name</c> in <paramref name="sql"/>.
    /// </summary>
    public async Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using DbConnection connection = Dialect == AdoNetDialect.Sqlite ? new SqliteConnection(ConnectionString) : new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return await command.ExecuteNonQueryAsync();
    }

    public override string ToString() => Description;

    private AdoNetMembershipOptions MembershipOptions() => new() { Dialect = Dialect, ConnectionString = ConnectionString };
}
