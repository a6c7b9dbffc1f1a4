using Grains.Transport;

namespace Grains.Manifest;

/// <summary>Finds the grain type behind a grain interface, which is part of every grain id.</summary>
internal interface IGrainTypeResolver
{
    string GetGrainType(Type interfaceType);
}

/// <summary>A silo knows its grain classes.</summary>
internal sealed class LocalGrainTypeResolver(GrainTypeRegistry registry) : IGrainTypeResolver
{
    public string GetGrainType(Type interfaceType) => registry.GetClassForInterface(interfaceType).GrainType;
}

/// <summary>A client knows the grain classes it references, and otherwise what the silos reported at connect.</summary>
internal sealed class ClientGrainTypeResolver(GrainTypeRegistry registry, ConnectionPool connections) : IGrainTypeResolver
{
    public string GetGrainType(Type interfaceType)
    {
        if (registry.Classes.Any(c => c.Interfaces.Contains(interfaceType)))
        {
            return registry.GetClassForInterface(interfaceType).GrainType;
        }

        return connections.RemoteGrainTypes.TryGetValue(interfaceType.FullName!, out var grainType)
            ? grainType
            : throw new InvalidOperationException(
                $"No silo of the cluster reported a grain class for {interfaceType.FullName}. Check that the silos host the assembly that implements it.");
    }
}
