using Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Grains.Activation;

/// <summary>What every activation of a silo shares: services, clock, settings and logger.</summary>
internal sealed class ActivationShared
{
    private IGrainFactory? _grainFactory;

    public ActivationShared(IServiceProvider services, TimeProvider time, GrainsOptions options, ILogger logger)
    {
        Services = services;
        Time = time;
        Options = options;
        Logger = logger;
    }

    public IServiceProvider Services { get; }

    /// <summary>Resolved on first use: the factory depends on the dispatcher, which depends on the activations.</summary>
    public IGrainFactory GrainFactory => _grainFactory ??= Services.GetRequiredService<IGrainFactory>();

    public TimeProvider Time { get; }

    public GrainsOptions Options { get; }

    public ILogger Logger { get; }

    /// <summary>Cancelled when the silo begins to stop; passed to activation hooks.</summary>
    public CancellationTokenSource Stopping { get; } = new();

    public IGrainStorage GetStorage(string storageName, Type grainClass, string stateName) =>
        Services.GetKeyedService<IGrainStorage>(storageName) ?? throw new InvalidOperationException(
            $"Grain class {grainClass.FullName} keeps state '{stateName}' in the grain storage '{storageName}', which is not registered. " +
            $"Register it on the silo, for example with AddSqliteGrainStorage(\"{storageName}\", ...) or AddPostgreSqlGrainStorage(\"{storageName}\", ...).");
}
