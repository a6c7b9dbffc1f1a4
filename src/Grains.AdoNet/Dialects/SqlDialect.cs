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

    /// <summary>Why a connection string that parses cannot keep data, with what to use instead; null when it can.</summary>
    public virtual string? CannotKeepData(string connectionString) => null;

    /// <summary>
    /// Whether a compare-and-swap statement run on its own (outside a transaction) failed because another writer changed
    /// the same row meanwhile, under a stricter isolation than read committed (a server whose default a DBA raised): the
    /// same outcome as the version not matching. Explicit transactions are read committed whatever the default.
    /// </summary>
    public virtual bool IsConcurrentChange(DbException exception) => false;

    /// <summary>Whether trying again can succeed (the driver's own verdict, where the driver gives one).</summary>
    public virtual bool IsTransient(DbException exception) => exception.IsTransient;

    /// <summary>
    /// Whether a failure of a write's statement or commit, once sent, leaves its outcome unknown: the connection failed
    /// or timed out before the answer came. An error the database answered with is a known failure.
    /// </summary>
    public virtual bool OutcomeUnknown(DbException exception) => false;

    /// <summary>What to do about a failure, appended to its message; empty when the driver's words say enough.</summary>
    public virtual string Hint(DbException exception) => "";

    /// <summary>
    /// What this process's writers to the database take turns at (<see cref="WriteTurn"/>); null when they need not.
    /// One gate per database, shared by every storage and membership table of the process that writes to it.
    /// </summary>
    public virtual SemaphoreSlim? WriteGate(string connectionString) => null;

    /// <summary>
    /// Begins a transaction for reads that must see the version row and the rows at one moment, taking no lock that
    /// holds up writers.
    /// </summary>
    public abstract ValueTask<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Announces a change to listeners, inside the writing transaction (PostgreSQL NOTIFY); a no-op elsewhere.</summary>
    public virtual Task NotifyAsync(DbConnection connection, DbTransaction transaction, string channel, string payload, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>Reports notifications on a channel until cancelled; returns at once when the database cannot notify.</summary>
    public virtual Task ListenAsync(DbDataSource dataSource, string channel, Action<string> onNotification, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>
    /// Runs one of the idempotent schema scripts (deploy/sql/&lt;dialect&gt;/<paramref name="scriptName"/>) so that
    /// concurrent silos do not race each other.
    /// </summary>
    public abstract Task ApplySchemaAsync(DbConnection connection, string scriptName, CancellationToken cancellationToken);

    /// <summary>Brings a storage table of an earlier version far enough for the script to run on it, where the script alone cannot.</summary>
    public virtual Task PrepareStorageSchemaAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Brings a storage schema created by an earlier version up to date, where the script alone cannot.</summary>
    public virtual Task UpgradeStorageSchemaAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Brings a membership schema created by an earlier version up to date, where the script alone cannot.</summary>
    public virtual Task UpgradeMembershipSchemaAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public static SqlDialect For(AdoNetDialect dialect) => dialect switch
    {
        AdoNetDialect.PostgreSql => PostgreSqlDialect.Instance,
        AdoNetDialect.Sqlite => SqliteDialect.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(dialect), dialect, "Unknown ADO.NET dialect; use PostgreSql or Sqlite."),
    };

    /// <summary>Reads a script shipped under deploy/sql/&lt;dialect&gt;/ (embedded at build).</summary>
    internal string LoadScript(string fileName)
    {
        var name = $"Grains.AdoNet.Sql.{ScriptFolder}/{fileName}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The schema script {name} is missing from Grains.AdoNet.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
