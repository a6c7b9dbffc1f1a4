namespace Grains.Hosting;

/// <summary>Work that must succeed before the silo takes calls, such as creating a storage schema. Runs in registration order.</summary>
public interface ISiloStartupTask
{
    Task ExecuteAsync(CancellationToken cancellationToken);
}
