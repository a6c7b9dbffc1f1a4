using System.Reflection;

namespace Grains.Hosting;

/// <summary>Configures a silo: its grain assemblies, storages and options.</summary>
public interface ISiloBuilder : IGrainsBuilder
{
    /// <summary>Adds an assembly whose grain classes and interfaces the silo hosts (assemblies it references are included).</summary>
    ISiloBuilder AddApplicationPart(Assembly assembly);
}
