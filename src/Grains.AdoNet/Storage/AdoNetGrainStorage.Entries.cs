using System.Data.Common;
using Grains.AdoNet.Dialects;
using Grains.Storage;

namespace Grains.AdoNet.Storage;

/// <summary>States kept as entries: one row per entry in grains_storage_entries, versioned by the state's grains_storage row.</summary>
internal sealed partial class AdoNetGrainStorage
{
    // Statements sent in one round trip where the driver batches (PostgreSQL); larger writes take several.
    private const int BatchSize = 500;

    public async Task<StoredEntries<TEntry>> ReadEntriesAsync<TEntry>(GrainStateKey key, CancellationToken cancellationToken)
        where TEntry : class
    {
        var payloads = new List<(string Key, string Payload)>();
        long? version;
        bool storedWhole;
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await _dialect.BeginSnapshotAsync(connection, cancellationToken);
            await using (var read = CreateCommand(connection, GrainStorageSql.Read, key, transaction))
            await using (var row = await read.ExecuteReaderAsync(cancellationToken))
            {
                var found = await row.ReadAsync(cancellationToken);
                version = found ? row.GetInt64(1) : null;
                storedWhole = found && !await row.IsDBNullAsync(0, cancellationToken);
            }

            await using (var entries = CreateCommand(connection, GrainEntrySql.ReadEntries, key, transaction))
            await using (var reader = await entries.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    payloads.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbException exception)
        {
            throw Failure("Reading the entries of", key, exception);
        }

        if (storedWhole)
        {
            // The name holds a state written whole (IPersistentState): the first write of entries under it would clear
            // that state without a word.
            throw new GrainStateSerializationException(
                $"The state '{key.StateName}' of {key} in storage '{Name}' ({Target}) is stored whole, not as entries: a grain that keeps " +
                "its state as entries must use a state name of its own. Keep the state's kind, or move the state to a new name.", null);
        }

        var result = new Dictionary<string, TEntry>(payloads.Count, StringComparer.Ordinal);
        foreach (var (entryKey, payload) in payloads)
        {
            result[entryKey] = Deserialize<TEntry>(key, payload) ?? throw new GrainStateSerializationException(
                $"The stored entry '{entryKey}' of {key} in storage '{Name}' ({Target}) is JSON null; remove the row or clear the state.", null);
        }

        return new StoredEntries<TEntry>(result, version is { } v ? FormatEtag(v) : null);
    }

    public async Task<string> WriteEntriesAsync<TEntry>(GrainStateKey key, IReadOnlyCollection<KeyValuePair<string, TEntry?>> changes, string? etag, CancellationToken cancellationToken)
        where TEntry : class
    {
        ArgumentNullException.ThrowIfNull(changes);
        var expected = ParseEtag(key, etag);
        var rows = new List<(string Key, string? Payload)>(changes.Count);
        foreach (var (entryKey, value) in changes)
        {
            if (string.IsNullOrEmpty(entryKey))
            {
                throw new ArgumentException($"An entry of {key} has an empty key; give every entry a non-empty key.", nameof(changes));
            }

            if (GrainKey.UnpairedSurrogateAt(entryKey) is { } at)
            {
                throw new ArgumentException($"An entry of {key} has a key with an unpaired surrogate at position {at}, which storage cannot keep apart from other such keys; give entries valid text keys.", nameof(changes));
            }

            rows.Add((entryKey, value is null ? null : Serialize(key, value)));
        }

        return await InTransactionAsync(key, expected, etag, "Writing the entries of", (connection, transaction) => ApplyAsync(connection, transaction, key, rows, cancellationToken), cancellationToken);
    }

    public Task<string> ClearEntriesAsync(GrainStateKey key, string? etag, CancellationToken cancellationToken) =>
        InTransactionAsync(key, ParseEtag(key, etag), etag, "Clearing the entries of", async (connection, transaction) =>
        {
            await using var command = CreateCommand(connection, GrainEntrySql.RemoveAll, key, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>Moves the state's version from <paramref name="expected"/> to a new one and runs <paramref name="body"/>, in one transaction.</summary>
    private async Task<string> InTransactionAsync(GrainStateKey key, long? expected, string? etag, string operation, Func<DbConnection, DbTransaction, Task> body, CancellationToken cancellationToken)
    {
        long written;
        try
        {
            using var turn = await WriteTurn.TakeAsync(_writeGate, cancellationToken);
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var version = VersionCommand(connection, key, expected, payload: null, expiresAt: null, out written, transaction))
            {
                if (await version.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    throw Conflict(operation, key, etag);
                }
            }

            await body(connection, transaction);
            try
            {
                await transaction.CommitAsync(cancellationToken);
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
        catch (DbException exception)
        {
            throw Failure(operation, key, exception);
        }

        return FormatEtag(written);
    }

    private async Task ApplyAsync(DbConnection connection, DbTransaction transaction, GrainStateKey key, List<(string Key, string? Payload)> rows, CancellationToken cancellationToken)
    {
        if (connection.CanCreateBatch)
        {
            for (var start = 0; start < rows.Count; start += BatchSize)
            {
                await using var batch = connection.CreateBatch();
                batch.Transaction = transaction;
                foreach (var (entryKey, payload) in rows.Skip(start).Take(BatchSize))
                {
                    var command = batch.CreateBatchCommand();
                    command.CommandText = payload is null ? GrainEntrySql.Remove : GrainEntrySql.Put;
                    AddEntry(command.Parameters, command.CreateParameter, key, entryKey, payload);
                    batch.BatchCommands.Add(command);
                }

                await batch.ExecuteNonQueryAsync(cancellationToken);
            }

            return;
        }

        // In-process databases (SQLite) pay nothing per statement: one prepared statement per kind, run per row.
        await using var put = connection.Command(GrainEntrySql.Put, transaction);
        await using var remove = connection.Command(GrainEntrySql.Remove, transaction);
        foreach (var (entryKey, payload) in rows)
        {
            var command = payload is null ? remove : put;
            command.Parameters.Clear();
            AddEntry(command.Parameters, command.CreateParameter, key, entryKey, payload);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private void AddEntry(DbParameterCollection parameters, Func<DbParameter> create, GrainStateKey key, string entryKey, string? payload)
    {
        AddKey(parameters, create, key);
        AddParameter(parameters, create, "entry_key", entryKey);
        if (payload is not null)
        {
            AddParameter(parameters, create, "payload", payload);
        }
    }
}
