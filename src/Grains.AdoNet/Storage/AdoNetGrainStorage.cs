using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Grains.AdoNet.Dialects;
using Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grains.AdoNet.Storage;

/// <summary>
/// Grain storage in one table of a PostgreSQL or SQLite database, keyed by (service id, grain type, grain key,
/// state name), with states as JSON and the row version as ETag.
/// </summary>
internal sealed partial class AdoNetGrainStorage : IGrainStorage, IGrainEntryStorage, IAsyncDisposable
{
    private readonly SqlDialect _dialect;
    private readonly DbDataSource _dataSource;
    private readonly SemaphoreSlim? _writeGate;
    private readonly JsonSerializerOptions _json;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    public AdoNetGrainStorage(string name, string serviceId, AdoNetGrainStorageOptions options, TimeProvider time, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        Name = name;
        ServiceId = serviceId;
        Options = options;
        _dialect = SqlDialect.For(options.Dialect);
        _dataSource = _dialect.CreateDataSource(options.ConnectionString);
        _writeGate = _dialect.WriteGate(options.ConnectionString);
        _json = options.JsonSerializerOptions;
        _time = time;
        Target = _dialect.DescribeTarget(options.ConnectionString);
    }

    public string Name { get; }

    public string ServiceId { get; }

    public AdoNetGrainStorageOptions Options { get; }

    /// <summary>Where the data lives, without credentials; every error message names it.</summary>
    public string Target { get; }

    /// <summary>Creates the schema if asked to and checks that the table answers the storage statements.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var turn = await WriteTurn.TakeAsync(_writeGate, cancellationToken);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            if (Options.CreateSchema)
            {
                await _dialect.PrepareStorageSchemaAsync(connection, cancellationToken);
                await _dialect.ApplySchemaAsync(connection, "grains-storage.sql", cancellationToken);
            }

            await using var probe = connection.Command(GrainStorageSql.Probe);
            await probe.ExecuteNonQueryAsync(cancellationToken);
            await using var probeEntries = connection.Command(GrainEntrySql.Probe);
            await probeEntries.ExecuteNonQueryAsync(cancellationToken);
            if (Options.CreateSchema)
            {
                IndexBuild = UpgradeInBackgroundAsync();
            }
        }
        catch (Exception exception) when (exception is DbException or IOException or TimeoutException or InvalidOperationException)
        {
            throw new GrainStorageException(
                $"The grain storage '{Name}' cannot use {Target}: {exception.Message} " +
                "Check that the database is running, that the connection string points at it, and that the schema in deploy/sql can be created.",
                exception,
                isTransient: true);
        }
    }

    public async Task<StoredState<TState>> ReadAsync<TState>(GrainStateKey key, CancellationToken cancellationToken)
    {
        string? payload;
        long version;
        DateTimeOffset? expiresAt;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = CreateCommand(connection, GrainStorageSql.Read, key);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new StoredState<TState>(false, default, null);
            }

            payload = await reader.IsDBNullAsync(0, cancellationToken) ? null : reader.GetString(0);
            version = reader.GetInt64(1);
            expiresAt = await reader.IsDBNullAsync(2, cancellationToken) ? null : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc));
        }
        catch (DbException exception)
        {
            throw Failure("Reading", key, exception);
        }

        var etag = FormatEtag(version);
        return payload is null
            ? new StoredState<TState>(false, default, etag, expiresAt)
            : new StoredState<TState>(true, Deserialize<TState>(key, payload), etag, expiresAt);
    }

    public Task<string> WriteAsync<TState>(GrainStateKey key, TState state, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken) =>
        StoreAsync(key, Serialize(key, state), etag, expiresAt, "Writing", cancellationToken);

    public Task<string> ClearAsync(GrainStateKey key, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken) =>
        StoreAsync(key, payload: null, etag, expiresAt, "Clearing", cancellationToken);

    /// <summary>
    /// Deletes this service's records that expired before <paramref name="cutoff"/>, in batches of
    /// <paramref name="batchSize"/>; returns how many. An activation that still holds a deleted record gets a conflict
    /// at its next write and starts again from storage, as after any conflict.
    /// </summary>
    public async Task<int> DeleteExpiredAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var deleted = 0;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            while (true)
            {
                // A turn per batch, so that the other writers go between batches.
                using var turn = await WriteTurn.TakeAsync(_writeGate, cancellationToken);
                await using var command = connection.Command(GrainStorageSql.DeleteExpired)
                    .With("service_id", ServiceId)
                    .With("cutoff", cutoff.UtcDateTime)
                    .With("batch", batchSize);
                var batch = await command.ExecuteNonQueryAsync(cancellationToken);
                deleted += batch;
                if (batch < batchSize)
                {
                    return deleted;
                }
            }
        }
        catch (DbException exception)
        {
            throw new GrainStorageException(
                $"Deleting expired records from storage '{Name}' ({Target}) failed after {deleted}: {exception.Message}", exception, exception.IsTransient);
        }
    }

    /// <summary>The schema upgrade that runs after the start (<see cref="UpgradeInBackgroundAsync"/>); for tests to wait on.</summary>
    internal Task IndexBuild { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Builds what the dialect adds to a table of an earlier release (PostgreSQL: the sweep's index, concurrently) once
    /// the start is done, not during it: on a large table the build takes as long as the table, and waits for every
    /// transaction older than it, which nothing bounds. Holding the start that long failed it at its host's start-up
    /// probe, and each restart cut the build short and began it again. Until it is built the sweep works, only slower;
    /// a failure is logged and the next start tries again.
    /// </summary>
    private async Task UpgradeInBackgroundAsync()
    {
        await Task.Yield();
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(_stopping.Token);
            await _dialect.UpgradeStorageSchemaAsync(connection, _stopping.Token);
        }
        catch (Exception exception) when (!_stopping.IsCancellationRequested)
        {
            LogUpgradeFailed(_logger, exception, Name, Target);
        }
        catch (Exception)
        {
            // Stopping: a build cut short leaves an invalid index, which the next start drops and builds again.
        }
    }

    /// <summary>Stops the background upgrade, then closes the connections. Safe to call more than once (the container disposes it under each service it is registered as).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
        }

        await IndexBuild;
        await _dataSource.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain storage '{Storage}' ({Target}) could not build the sweep's index; the sweep works without it, only slower, and the next start tries again")]
    private static partial void LogUpgradeFailed(ILogger logger, Exception exception, string storage, string target);

    private async Task<string> StoreAsync(
        GrainStateKey key, string? payload, string? etag, DateTimeOffset? expiresAt, string operation, CancellationToken cancellationToken)
    {
        var expected = ParseEtag(key, etag);
        long written;
        int changed;
        try
        {
            using var turn = await WriteTurn.TakeAsync(_writeGate, cancellationToken);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = VersionCommand(connection, key, expected, payload, expiresAt, out written);
            try
            {
                changed = await command.ExecuteNonQueryAsync(cancellationToken);
                AfterStoringForTests?.Invoke();
            }
            catch (DbException exception) when (_dialect.OutcomeUnknown(exception))
            {
                if (await WasStoredAsync(operation, key, written, exception, cancellationToken))
                {
                    return FormatEtag(written);
                }

                throw;
            }
        }
        catch (DbException exception) when (_dialect.IsConcurrentChange(exception))
        {
            throw Conflict(operation, key, etag);
        }
        catch (DbException exception)
        {
            throw Failure(operation, key, exception);
        }

        if (changed == 0)
        {
            throw Conflict(operation, key, etag);
        }

        return FormatEtag(written);
    }

    private InconsistentStateException Conflict(string operation, GrainStateKey key, string? etag) => new(
        $"{operation} {key} in storage '{Name}' was refused: the stored record changed since it was read " +
        $"(this writer held ETag '{etag ?? "none"}'). The activation is deactivated; the next call reads the current state.",
        etag);

    private DbCommand CreateCommand(DbConnection connection, string sql, GrainStateKey key, DbTransaction? transaction = null)
    {
        var command = connection.Command(sql, transaction);
        AddKey(command.Parameters, command.CreateParameter, key);
        return command;
    }

    /// <summary>
    /// The statement that moves the record from <paramref name="expected"/> (null: no record) to <paramref name="written"/>,
    /// a new random version (see <see cref="GrainStorageSql"/>). Changes no row when the stored version differs.
    /// </summary>
    private DbCommand VersionCommand(
        DbConnection connection, GrainStateKey key, long? expected, string? payload, DateTimeOffset? expiresAt, out long written, DbTransaction? transaction = null)
    {
        do
        {
            written = Random.Shared.NextInt64(1, 1L << 62);
        }
        while (written == expected);

        var command = CreateCommand(connection, expected is null ? GrainStorageSql.Insert : GrainStorageSql.Update, key, transaction)
            .With("payload", payload)
            .With("modified_on", _time.GetUtcNow().UtcDateTime)
            .With("expires_on", expiresAt?.UtcDateTime)
            .With("written", written);
        return expected is { } version ? command.With("version", version) : command;
    }

    /// <summary>Tests only: runs where a write's answer has come back (its statement or its commit), and may throw as if it was lost.</summary>
    internal Action? AfterStoringForTests { get; set; }

    private static readonly TimeSpan s_lostAnswerReadTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After a write whose answer was lost on the way back (the connection failed once the statement or the commit was
    /// sent), reads the record's version again: the write's own, which no other writer can have chosen, means it was
    /// stored, and the write succeeded. Otherwise, or when the read fails too, the failure stands. Before, every such
    /// write failed: memory went back to the old state while storage held the new one, and the next write conflicted
    /// and deactivated the grain, after its caller had been told that a stored change had failed.
    /// </summary>
    private async Task<bool> WasStoredAsync(string operation, GrainStateKey key, long written, DbException exception, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(s_lostAnswerReadTimeout);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(bounded.Token);
            await using var command = CreateCommand(connection, GrainStorageSql.ReadVersion, key);
            if (await command.ExecuteScalarAsync(bounded.Token) is long version && version == written)
            {
                LogLostAnswerStored(_logger, exception, operation, key, Name);
                return true;
            }
        }
        catch (Exception reading) when (reading is DbException or OperationCanceledException)
        {
            // The failure stands: the write may or may not be stored, as its caller is told.
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Operation} {Key} in storage '{Storage}' lost its answer; the record holds the write's version, so it was stored")]
    private static partial void LogLostAnswerStored(ILogger logger, Exception exception, string operation, GrainStateKey key, string storage);

    /// <summary>The row key's parameters; takes a collection and a factory so that batch commands use it too.</summary>
    private void AddKey(DbParameterCollection parameters, Func<DbParameter> create, GrainStateKey key)
    {
        AddParameter(parameters, create, "service_id", ServiceId);
        AddParameter(parameters, create, "grain_type", key.GrainId.Type);
        AddParameter(parameters, create, "grain_key", key.GrainId.Key);
        AddParameter(parameters, create, "state_name", key.StateName);
    }

    private static void AddParameter(DbParameterCollection parameters, Func<DbParameter> create, string name, string value)
    {
        var parameter = create();
        parameter.ParameterName = name;
        parameter.Value = value;
        parameters.Add(parameter);
    }

    private string Serialize<TState>(GrainStateKey key, TState state)
    {
        try
        {
            return JsonSerializer.Serialize(state, _json);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            // The stored row is not at fault (GrainStateSerializationException says it is): the type cannot be written.
            throw new GrainStorageException(
                $"The {key} cannot be written as JSON ({typeof(TState).FullName}): {exception.Message}", exception);
        }
    }

    private TState? Deserialize<TState>(GrainStateKey key, string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<TState>(payload, _json);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException || IsValueRefused(exception))
        {
            throw new GrainStateSerializationException(
                $"The stored {key} in storage '{Name}' ({Target}) cannot be read as {typeof(TState).FullName}: {exception.Message} " +
                $"Fix or clear the row (service_id '{ServiceId}', grain_type '{key.GrainId.Type}', grain_key '{key.GrainId.Key}', state_name '{key.StateName}').",
                exception);
        }
    }

    /// <summary>
    /// A type's own check refused a stored value while the row was read (a converter that refuses a malformed id throws
    /// the application's validation exception): the row is at fault, not the call that activated the grain. Exceptions
    /// of the runtime's own types (InvalidOperationException for a type the serializer cannot bind, a converter's
    /// NullReferenceException) are defects of the code, not of the row, and are not read as such.
    /// </summary>
    private static bool IsValueRefused(Exception exception) => exception.GetType().Assembly != typeof(object).Assembly;

    private GrainStorageException Failure(string operation, GrainStateKey key, DbException exception) =>
        new($"{operation} {key} in storage '{Name}' ({Target}) failed: {exception.Message}{_dialect.Hint(exception)}", exception, _dialect.IsTransient(exception));

    private static string FormatEtag(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static long? ParseEtag(GrainStateKey key, string? etag)
    {
        if (etag is null)
        {
            return null;
        }

        return long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InconsistentStateException($"The ETag '{etag}' held for {key} was not issued by this storage.", etag);
    }
}
