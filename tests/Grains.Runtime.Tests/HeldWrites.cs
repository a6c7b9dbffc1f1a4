using Grains.Storage;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Runtime.Tests;

/// <summary>Wraps the silo's default storage so that a test can hold the next state write until it lets it go on.</summary>
internal sealed class HeldWrites
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _proceed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _armed;

    public Task Entered => _entered.Task;

    public void HoldNext() => Volatile.Write(ref _armed, 1);

    public void Proceed() => _proceed.SetResult();

    /// <summary>Installs the wrapper in the silos <paramref name="options"/> start, after the services they add already.</summary>
    public void AddTo(TestClusterOptions options)
    {
        var configured = options.ConfigureServices;
        options.ConfigureServices = services =>
        {
            configured?.Invoke(services);
            Install(services);
        };
    }

    private void Install(IServiceCollection services)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, "Default"));
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>("Default", (provider, key) => new Storage((IGrainStorage)original.KeyedImplementationFactory!(provider, key), this));
    }

    private async Task BeforeWriteAsync()
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _entered.SetResult();
            await _proceed.Task;
        }
    }

    private sealed class Storage(IGrainStorage inner, HeldWrites held) : IGrainStorage
    {
        public Task<StoredState<TState>> ReadAsync<TState>(GrainStateKey key, CancellationToken cancellationToken) => inner.ReadAsync<TState>(key, cancellationToken);

        public async Task<string> WriteAsync<TState>(GrainStateKey key, TState state, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
        {
            await held.BeforeWriteAsync();
            return await inner.WriteAsync(key, state, etag, expiresAt, cancellationToken);
        }

        public Task<string> ClearAsync(GrainStateKey key, string? etag, DateTimeOffset? expiresAt, CancellationToken cancellationToken) =>
            inner.ClearAsync(key, etag, expiresAt, cancellationToken);
    }
}
