using System.Data.Common;
using System.Reflection;

namespace Grains.AdoNet.Dialects;

/// <summary>
/// What differs between the databases: how to connect, how to describe the target in an error, and how to apply a
/// schema script safely when several silos start at once. The statements themselves are shared.
/// </summary>
internal abstract class SqlDialect
{
    public abstract string DisplayName { get; }

    public abstract string ScriptFolder { get; }

    public abstract DbDataSource CreateDataSource(string connectionString);

    /// <summary>Says where the database is (host, port, database or file) without credentials, for error messages.</summary>
    public abstract string DescribeTarget(string connectionString);

    /// <summary>Runs an idempotent schema script so that concurrent silos do not race each other.</summary>
    public abstract Task ApplySchemaAsync(DbConnection connection, string script, CancellationToken cancellationToken);

    public static SqlDialect For(AdoNetDialect dialect) => dialect switch
    {
        AdoNetDialect.PostgreSql => PostgreSqlDialect.Instance,
        AdoNetDialect.Sqlite => SqliteDialect.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(dialect), dialect, "Unknown ADO.NET dialect; use PostgreSql or Sqlite."),
    };

    /// <summary>Reads a script shipped under deploy/sql/&lt;dialect&gt;/ (embedded at build).</summary>
    public string LoadScript(string fileName)
    {
        var name = $"Grains.AdoNet.Sql.{ScriptFolder}/{fileName}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The schema script {name} is missing from Grains.AdoNet.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
