namespace Grains.CodeGeneration;

/// <summary>What a generated grain activator needs to call a grain class's constructor.</summary>
public interface IGrainActivationContext
{
    IServiceProvider Services { get; }

    IGrainContext GrainContext { get; }

    /// <summary>Resolves a constructor parameter; throws an error naming the grain class when the service is not registered.</summary>
    TService GetRequiredService<TService>()
        where TService : notnull;

    /// <summary>Binds a <c>[PersistentState]</c> constructor parameter.</summary>
    IPersistentState<TState> GetPersistentState<TState>(string stateName, string storageName, Func<TState> createDefault);

    /// <summary>Binds a <c>[PersistentState]</c> constructor parameter of type <c>IPersistentEntries&lt;T&gt;</c>.</summary>
    IPersistentEntries<TEntry> GetPersistentEntries<TEntry>(string stateName, string storageName)
        where TEntry : class;
}
