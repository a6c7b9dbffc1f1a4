using Grains.Activation;
using Grains.Cluster;
using Grains.CodeGeneration;
using Grains.Manifest;
using Grains.Messaging;
using Grains.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Grains.Hosting;

/// <summary>Adds a Grains silo, or a cluster client, to a host.</summary>
public static class GrainsHostingExtensions
{
    /// <summary>Adds a silo and binds <see cref="GrainsOptions"/> from the "Grains" configuration section.</summary>
    public static IHostApplicationBuilder UseGrains(this IHostApplicationBuilder builder, Action<ISiloBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        BindConfiguration(builder);
        builder.Services.AddGrains(configure);
        return builder;
    }

    /// <summary>
    /// Adds a cluster client (see <see cref="ClusterHostingExtensions.AddGrainsClient"/>) and binds its options from the
    /// "Grains" configuration section as a silo does, so that a client and its silos read the cluster id, timeouts and
    /// transport limits from the same keys.
    /// </summary>
    public static IHostApplicationBuilder UseGrainsClient(this IHostApplicationBuilder builder, Action<IClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        BindConfiguration(builder);
        builder.Services.AddGrainsClient(configure);
        return builder;
    }

    private static void BindConfiguration(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GrainsOptions>().Bind(builder.Configuration.GetSection(GrainsOptions.SectionName));
        builder.Services.AddOptions<MembershipOptions>().Bind(builder.Configuration.GetSection(MembershipOptions.SectionName));
        builder.Services.AddOptions<TransportOptions>().Bind(builder.Configuration.GetSection(TransportOptions.SectionName));
    }

    /// <summary>Adds a silo to a service collection; call once per host.</summary>
    public static IServiceCollection AddGrains(this IServiceCollection services, Action<ISiloBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var parts = services.FirstOrDefault(d => d.ServiceType == typeof(ApplicationParts))?.ImplementationInstance as ApplicationParts;
        if (parts is null)
        {
            parts = [];
            AddCoreServices(services, parts);
        }

        configure(new SiloBuilder(services, parts));
        return services;
    }

    /// <summary>Configures <see cref="GrainsOptions"/> in code.</summary>
    public static ISiloBuilder Configure(this ISiloBuilder builder, Action<GrainsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure(configure);
        return builder;
    }

    private static void AddCoreServices(IServiceCollection services, ApplicationParts parts)
    {
        services.AddSingleton(parts);
        services.AddOptions<GrainsOptions>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<GrainsOptions>, GrainsOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new GrainTypeRegistry(sp.GetRequiredService<ApplicationParts>()));
        services.AddSingleton(sp =>
        {
            var timeout = sp.GetRequiredService<IOptions<GrainsOptions>>().Value.ResponseTimeout;
            return new PendingCallTable(sp.GetRequiredService<TimeProvider>(), PendingCallTable.SweepIntervalFor(timeout));
        });
        services.AddSingleton<ActivationDirectory>();
        services.TryAddSingleton<ICallRouter>(sp => new LocalCallRouter(sp.GetRequiredService<ActivationDirectory>()));
        services.AddSingleton<IGrainCallInvoker, CallDispatcher>();
        services.AddSingleton<IGrainTypeResolver, LocalGrainTypeResolver>();
        services.AddSingleton<IGrainFactory, GrainFactory>();
        services.AddSingleton(sp => new Silo(sp));
        services.AddHostedService(sp => sp.GetRequiredService<Silo>());
    }
}
