using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Hosting;

/// <summary>What silo and client builders share: their services and the assemblies with grain interfaces and classes.</summary>
public interface IGrainsBuilder
{
    IServiceCollection Services { get; }
}

/// <summary>Configures a cluster client: its membership table and the assemblies of the grain interfaces it calls.</summary>
public interface IClientBuilder : IGrainsBuilder
{
    /// <summary>Adds an assembly whose grain interfaces the client calls (assemblies it references are included).</summary>
    IClientBuilder AddApplicationPart(Assembly assembly);
}

internal sealed class ClientBuilder(IServiceCollection services, ApplicationParts parts) : IClientBuilder
{
    public IServiceCollection Services { get; } = services;

    public IClientBuilder AddApplicationPart(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        parts.Add(assembly);
        return this;
    }
}
