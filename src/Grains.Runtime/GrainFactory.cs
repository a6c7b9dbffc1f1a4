using Grains.CodeGeneration;
using Grains.Manifest;

namespace Grains;

/// <summary>Creates grain references (proxies) for the grain classes this process knows.</summary>
internal sealed class GrainFactory : IGrainFactory
{
    private readonly GrainTypeRegistry _registry;
    private readonly IGrainTypeResolver _grainTypes;
    private readonly IGrainCallInvoker _invoker;

    public GrainFactory(GrainTypeRegistry registry, IGrainTypeResolver grainTypes, IGrainCallInvoker invoker)
    {
        _registry = registry;
        _grainTypes = grainTypes;
        _invoker = invoker;
    }

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey)
        where TGrainInterface : IGrainWithStringKey => Create<TGrainInterface>(primaryKey);

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey)
        where TGrainInterface : IGrainWithGuidKey => Create<TGrainInterface>(GrainKey.Format(primaryKey));

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey)
        where TGrainInterface : IGrainWithIntegerKey => Create<TGrainInterface>(GrainKey.Format(primaryKey));

    private TGrainInterface Create<TGrainInterface>(string key)
    {
        var id = GrainId.Create(_grainTypes.GetGrainType(typeof(TGrainInterface)), key);
        return (TGrainInterface)_registry.GetInterface(typeof(TGrainInterface)).CreateProxy(_invoker, id);
    }
}
