using Grains;
using Grains.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Quotas.Grains.Tests;

/// <summary>Makes the state writes of one grain type fail on demand, as an unreachable database would.</summary>
internal sealed class StorageFaults
{
    /// <summary>The grain type whose writes fail (e.g. "tenant"); null: none.</summary>
    public volatile string? FailWritesOf;

    /// <summary>Awaited before every write, with the key written: a test holds or fails writes with it.</summary>
    public volatile Func<GrainStateKey, Task>? BeforeWrite;

    /// <summary>Called after every state write that succeeded, with the key written: a test waits for a write with it.</summary>
    public volatile Action<GrainStateKey>? AfterWrite;

    /// <summary>Awaited before every entries write (pools), with the key written: a test holds or fails writes with it.</summary>
    public volatile Func<GrainStateKey, Task>? BeforeEntriesWrite;

    /// <summary>Wraps the silo's default storage; pass as <see cref="Grains.Testing.TestClusterOptions.ConfigureServices"/>.</summary>
    public void Install(IServiceCollection services)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, "Default"));
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>("Default", (provider, key) => new Faulty((IGrainStorage)original.KeyedImplementationFactory!(provider, key), this));
    }

    private sealed class Faulty(IGrainStorage inner, StorageFaults faults) : IGrainStorage, IGrainEntryStorage
    {
        private IGrainEntryStorage Entries => (IGrainEntryStorage)inner;

        public Task<StoredState<TState>> ReadAsync<TState>(GrainStateKey key, CancellationToken cancellationToken) => inner.ReadAsync<TState>(key, cancellationToken);

        public async Task<string> WriteAsync<TState>(GrainStateKey key, TState state, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
        {
            if (faults.BeforeWrite is { } before)
            {
                await before(key);
            }

            if (key.GrainId.Type == faults.FailWritesOf)
            {
                throw new GrainStorageException("injected write failure", null, isTransient: true);
            }

            var written = await inner.WriteAsync(key, state, etag, expiresAt, cancellationToken);
            faults.AfterWrite?.Invoke(key);
            return written;
        }

        public Task<string> ClearAsync(GrainStateKey key, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken) => inner.ClearAsync(key, etag, expiresAt, cancellationToken);

        public Task<StoredEntries<TEntry>> ReadEntriesAsync<TEntry>(GrainStateKey key, CancellationToken cancellationToken)
            where TEntry : class => Entries.ReadEntriesAsync<TEntry>(key, cancellationToken);

        public async Task<string> WriteEntriesAsync<TEntry>(GrainStateKey key, IReadOnlyCollection<KeyValuePair<string, TEntry?>> changes, string? etag, CancellationToken cancellationToken)
            where TEntry : class
        {
            if (faults.BeforeEntriesWrite is { } before)
            {
                await before(key);
            }

            return await Entries.WriteEntriesAsync(key, changes, etag, cancellationToken);
        }

        public Task<string> ClearEntriesAsync(GrainStateKey key, string? etag, CancellationToken cancellationToken) => Entries.ClearEntriesAsync(key, etag, cancellationToken);
    }
}

/// <summary>
/// Holds the first write of one grain (its type, and its key when given) until <see cref="Proceed"/>, so a test can act
/// while that grain waits on its store; <see cref="Entered"/> completes once the write is held. With
/// <paramref name="failWith"/> the held write then fails. Use <see cref="Gate"/> as a <see cref="StorageFaults"/> hook.
/// </summary>
internal sealed class HeldWrite(string grainType, string? grainKey = null, string? failWith = null)
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _proceed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;

    public Task Entered => _entered.Task;

    public void Proceed() => _proceed.SetResult();

    public async Task Gate(GrainStateKey key)
    {
        if (key.GrainId.Type == grainType && (grainKey is null || key.GrainId.Key == grainKey) && Interlocked.Exchange(ref _held, 1) == 0)
        {
            _entered.SetResult();
            await _proceed.Task;
            if (failWith is not null)
            {
                throw new InvalidOperationException(failWith);
            }
        }
    }
}
