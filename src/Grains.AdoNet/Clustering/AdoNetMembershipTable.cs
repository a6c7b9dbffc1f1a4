using System.Data.Common;
using System.Globalization;
using Grains.AdoNet.Dialects;
using Grains.Cluster;

namespace Grains.AdoNet.Clustering;

/// <summary>
/// The membership table in PostgreSQL or SQLite. Reads see the version row and the silo rows at one moment; every
/// change bumps the version with compare-and-swap in the same transaction as the row change; PostgreSQL announces
/// each new version with NOTIFY so views refresh at once.
/// </summary>
internal sealed class AdoNetMembershipTable : IMembershipTable, IAsyncDisposable
{
    private const string Channel = "grains_membership";
    private const string ProbeClusterId = "__grains_probe__";

    private readonly SqlDialect _dialect;
    private readonly DbDataSource _dataSource;
    private readonly SemaphoreSlim? _writeGate;
    private readonly string _clusterId;
    private readonly AdoNetMembershipOptions _options;
    private readonly TimeProvider _time;

    public AdoNetMembershipTable(string clusterId, AdoNetMembershipOptions options, TimeProvider time)
    {
        _clusterId = clusterId;
        _options = options;
        _time = time;
        _dialect = SqlDialect.For(options.Dialect);
        if (_dialect.CannotKeepData(options.ConnectionString) is { } problem)
        {
            throw new ArgumentException($"The membership table cannot use its connection string: {problem}.", nameof(options));
        }

        _dataSource = _dialect.CreateDataSource(options.ConnectionString);
        _writeGate = _dialect.WriteGate(options.ConnectionString);
        Target = _dialect.DescribeTarget(options.ConnectionString);
    }

    public string Target { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var turn = await WriteTurn.TakeAsync(_writeGate, cancellationToken);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            if (_options.CreateSchema)
            {
                await _dialect.ApplySchemaAsync(connection, "grains-membership.sql", cancellationToken);
                await _dialect.UpgradeMembershipSchemaAsync(connection, cancellationToken);
            }

            await CheckStatementsAsync(connection, cancellationToken);
            await using var ensure = connection.Command(MembershipSql.EnsureVersionRow).With("cluster_id", _clusterId).With("now", Now());
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is DbException or IOException or TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException(
                $"The membership table at {Target} cannot be used: {exception.Message} " +
                "Check that the database is running, that the connection string points at it, and that the schema in deploy/sql can be created.",
                exception);
        }
    }

    public Task<MembershipSnapshot> ReadAsync(CancellationToken cancellationToken) => GuardedAsync("Reading", () => ReadCoreAsync(cancellationToken));

    private async Task<MembershipSnapshot> ReadCoreAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await _dialect.BeginSnapshotAsync(connection, cancellationToken);
        await using var version = connection.Command(MembershipSql.ReadVersion, transaction).With("cluster_id", _clusterId);
        var current = Convert.ToInt64(await version.ExecuteScalarAsync(cancellationToken) ?? 0L, CultureInfo.InvariantCulture);
        var entries = new List<MembershipEntry>();
        await using (var rows = connection.Command(MembershipSql.ReadRows, transaction).With("cluster_id", _clusterId))
        await using (var reader = await rows.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                entries.Add(new MembershipEntry(
                    new SiloAddress(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2)),
                    reader.GetString(3),
                    (MembershipStatus)reader.GetInt32(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)),
                    SuspicionsJson.Read(reader.GetString(5)),
                    reader.GetInt64(8).ToString(CultureInfo.InvariantCulture),
                    reader.IsDBNull(9) ? null : reader.GetInt32(9)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new MembershipSnapshot(current, entries);
    }

    public Task<bool> TryInsertAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken) =>
        GuardedAsync("Writing to", () => ChangeAsync(expectedVersion, (connection, transaction) =>
            RowCommand(connection, transaction, MembershipSql.InsertRow, entry).With("start_time", entry.StartTime.ToUnixTimeMilliseconds()), cancellationToken));

    public Task<bool> TryUpdateAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken) =>
        GuardedAsync("Writing to", () => ChangeAsync(expectedVersion, (connection, transaction) =>
            RowCommand(connection, transaction, MembershipSql.UpdateRow, entry).With("etag", long.Parse(entry.Etag ?? "0", CultureInfo.InvariantCulture)), cancellationToken));

    public Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset time, int activations, CancellationToken cancellationToken) =>
        GuardedAsync("Writing a heartbeat to", async () =>
        {
            using var turn = await WriteTurn.TakeAsync(_writeGate, cancellationToken);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = KeyCommand(connection, null, MembershipSql.IAmAlive, silo)
                .With("i_am_alive_time", time.ToUnixTimeMilliseconds())
                .With("activations", activations);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        });

    public Task<int> CleanupDefunctAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) =>
        GuardedAsync("Deleting defunct rows from", () => CleanupDefunctCoreAsync(olderThan, cancellationToken));

    private async Task<int> CleanupDefunctCoreAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        using var turn = await WriteTurn.TakeAsync(_writeGate, cancellationToken);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        int removed;
        await using (var delete = connection.Command(MembershipSql.CleanupDefunct, transaction)
            .With("cluster_id", _clusterId).With("older_than", olderThan.ToUnixTimeMilliseconds()))
        {
            removed = await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        if (removed > 0)
        {
            await using (var advance = connection.Command(MembershipSql.AdvanceVersion, transaction).With("cluster_id", _clusterId).With("now", Now()))
            {
                await advance.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var version = connection.Command(MembershipSql.ReadVersion, transaction).With("cluster_id", _clusterId);
            var current = Convert.ToInt64(await version.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            await _dialect.NotifyAsync(connection, transaction, Channel, $"{_clusterId}:{current}", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    public Task ListenAsync(Action<long> onChange, CancellationToken cancellationToken) =>
        _dialect.ListenAsync(_dataSource, Channel, payload =>
        {
            // Payload "<cluster id>:<version>"; other clusters share the channel.
            var separator = payload.LastIndexOf(':');
            if (separator > 0 && payload.AsSpan(0, separator).SequenceEqual(_clusterId) &&
                long.TryParse(payload.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                onChange(version);
            }
        }, cancellationToken);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Bumps the version if it is still the expected one and applies the row change, all or nothing.</summary>
    private async Task<bool> ChangeAsync(long expectedVersion, Func<DbConnection, DbTransaction, DbCommand> rowChange, CancellationToken cancellationToken)
    {
        using var turn = await WriteTurn.TakeAsync(_writeGate, cancellationToken);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var bump = connection.Command(MembershipSql.BumpVersion, transaction)
            .With("cluster_id", _clusterId).With("expected_version", expectedVersion).With("now", Now()))
        {
            if (await bump.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                return false;
            }
        }

        await using (var change = rowChange(connection, transaction))
        {
            if (await change.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                return false;
            }
        }

        await _dialect.NotifyAsync(connection, transaction, Channel, $"{_clusterId}:{expectedVersion + 1}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private DbCommand RowCommand(DbConnection connection, DbTransaction transaction, string sql, MembershipEntry entry, string? clusterId = null) =>
        KeyCommand(connection, transaction, sql, entry.Silo, clusterId)
            .With("silo_name", entry.SiloName)
            .With("status", (int)entry.Status)
            .With("suspicions", SuspicionsJson.Write(entry.Suspicions))
            .With("i_am_alive_time", entry.IAmAliveTime.ToUnixTimeMilliseconds());

    private DbCommand KeyCommand(DbConnection connection, DbTransaction? transaction, string sql, SiloAddress silo, string? clusterId = null) =>
        connection.Command(sql, transaction)
            .With("cluster_id", clusterId ?? _clusterId)
            .With("host", silo.Host)
            .With("port", silo.Port)
            .With("generation", silo.Generation);

    /// <summary>Runs every statement once against a cluster id no one uses, then rolls back: a missing column fails the start, not a later call.</summary>
    private async Task CheckStatementsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var silo = new SiloAddress("probe", 0, 0);
        var entry = new MembershipEntry(silo, "probe", MembershipStatus.Joining, _time.GetUtcNow(), _time.GetUtcNow(), []);
        DbCommand[] commands =
        [
            connection.Command(MembershipSql.EnsureVersionRow, transaction).With("cluster_id", ProbeClusterId).With("now", Now()),
            connection.Command(MembershipSql.ReadVersion, transaction).With("cluster_id", ProbeClusterId),
            connection.Command(MembershipSql.ReadRows, transaction).With("cluster_id", ProbeClusterId),
            connection.Command(MembershipSql.BumpVersion, transaction).With("cluster_id", ProbeClusterId).With("expected_version", 0L).With("now", Now()),
            RowCommand(connection, transaction, MembershipSql.InsertRow, entry, ProbeClusterId).With("start_time", 0L),
            RowCommand(connection, transaction, MembershipSql.UpdateRow, entry, ProbeClusterId).With("etag", 0L),
            KeyCommand(connection, transaction, MembershipSql.IAmAlive, silo, ProbeClusterId).With("i_am_alive_time", 0L).With("activations", 0),
            connection.Command(MembershipSql.CleanupDefunct, transaction).With("cluster_id", ProbeClusterId).With("older_than", 0L),
            connection.Command(MembershipSql.AdvanceVersion, transaction).With("cluster_id", ProbeClusterId).With("now", Now()),
        ];
        foreach (var command in commands)
        {
            await using (command)
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.RollbackAsync(cancellationToken);
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Runs a table operation, and says which table a database error came from and what to check: a silo that cannot
    /// join, or a gateway that cannot start, reports it with the table's target rather than a bare driver error.
    /// </summary>
    private async Task<T> GuardedAsync<T>(string doing, Func<Task<T>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception exception) when (exception is DbException or IOException or TimeoutException)
        {
            var hint = CouldNotReach(exception) ? " Check that the database is running and that the connection string points at it." : "";
            throw new InvalidOperationException($"{doing} the membership table at {Target} failed: {exception.Message}{hint}", exception);
        }
    }

    /// <summary>Whether the database could not be reached or opened at all (the only case the hint is for).</summary>
    private static bool CouldNotReach(Exception exception) =>
        exception is IOException or TimeoutException or DbException { IsTransient: true } or Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 14 }
        || exception.InnerException is IOException or TimeoutException or System.Net.Sockets.SocketException;
}
