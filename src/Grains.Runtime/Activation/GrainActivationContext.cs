using Grains.CodeGeneration;
using Grains.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Activation;

/// <summary>Resolves a grain constructor's parameters for the generated activator.</summary>
internal sealed class GrainActivationContext : IGrainActivationContext
{
    private readonly ActivationData _activation;
    private readonly GrainClassDescriptor _class;
    private readonly ActivationShared _shared;

    public GrainActivationContext(ActivationData activation, GrainClassDescriptor grainClass, ActivationShared shared)
    {
        _activation = activation;
        _class = grainClass;
        _shared = shared;
    }

    public IServiceProvider Services => _activation.ActivationServices;

    public IGrainContext GrainContext => _activation;

    public TService GetRequiredService<TService>()
        where TService : notnull =>
        Services.GetService<TService>() ?? throw new InvalidOperationException(
            $"Grain class {_class.GrainClass.FullName} needs a {typeof(TService).FullName} in its constructor, and no such service is registered. " +
            "Register it in the silo's services.");

    public IPersistentState<TState> GetPersistentState<TState>(string stateName, string storageName, Func<TState> createDefault)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        var storage = _shared.GetStorage(storageName, _class.GrainClass, stateName);
        var state = new PersistentState<TState>(new GrainStateKey(_activation.GrainId, stateName), storage, createDefault, _activation, _activation.StorageFence);
        _activation.AddStateLoader(state);
        return state;
    }

    public IPersistentEntries<TEntry> GetPersistentEntries<TEntry>(string stateName, string storageName)
        where TEntry : class
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        var storage = _shared.GetStorage(storageName, _class.GrainClass, stateName) as IGrainEntryStorage ?? throw new InvalidOperationException(
            $"Grain class {_class.GrainClass.FullName} keeps state '{stateName}' as entries, and the grain storage '{storageName}' cannot store entries. " +
            "Use an ADO.NET grain storage (AddSqliteGrainStorage or AddPostgreSqlGrainStorage).");
        var state = new PersistentEntries<TEntry>(new GrainStateKey(_activation.GrainId, stateName), storage, _activation, _activation.StorageFence);
        _activation.AddStateLoader(state);
        return state;
    }
}
