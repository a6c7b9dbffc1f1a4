using Grains.Hosting;

namespace Grains.AdoNet.Storage;

/// <summary>Prepares a storage before the silo takes calls, so a database that is down stops the start with a clear error.</summary>
internal sealed class AdoNetStorageInitializer(AdoNetGrainStorage storage) : ISiloStartupTask
{
    public Task ExecuteAsync(CancellationToken cancellationToken) => storage.InitializeAsync(cancellationToken);
}
