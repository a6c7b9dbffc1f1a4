using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Hosting;

internal sealed class SiloBuilder : ISiloBuilder
{
    public SiloBuilder(IServiceCollection services, ApplicationParts parts)
    {
        Services = services;
        Parts = parts;
    }

    public IServiceCollection Services { get; }

    public ApplicationParts Parts { get; }

    public ISiloBuilder AddApplicationPart(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        Parts.Add(assembly);
        return this;
    }
}

/// <summary>The assemblies registered with <see cref="ISiloBuilder.AddApplicationPart"/>.</summary>
internal sealed class ApplicationParts : List<Assembly>;
