using Grains.Activation;
using Grains.Client;
using Grains.CodeGeneration;
using Grains.Cluster;
using Grains.Manifest;
using Grains.Messaging;
using Grains.Serialization;
using Grains.Transport;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Hosting;

/// <summary>Makes a silo a member of a cluster, and adds cluster clients to non-silo processes.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>
    /// Joins the silo to the cluster whose membership lives in the given table. The silo port is served by Kestrel,
    /// so the host must be a web host (WebApplication.CreateBuilder or CreateSlimBuilder).
    /// </summary>
    public static ISiloBuilder UseClustering(this ISiloBuilder builder, Func<IServiceProvider, IMembershipTable> createTable)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(createTable);
        var services = builder.Services;
        AddSharedClusterServices(services, createTable);
        services.TryAddSingleton<LocalSilo>();
        services.TryAddSingleton<MembershipAgent>();
        services.TryAddSingleton<SiloEndpoint>();
        services.TryAddSingleton<SiloConnectionHandler>();
        services.TryAddSingleton<ClusterParticipation>();
        services.TryAddSingleton<ClusterRouter>(sp => ActivatorUtilities.CreateInstance<ClusterRouter>(
            sp, sp.GetRequiredService<LocalSilo>(), sp.GetRequiredService<ActivationDirectory>()));
        services.TryAddSingleton<ConnectionPool>(sp => ActivatorUtilities.CreateInstance<ConnectionPool>(sp, sp.GetRequiredService<LocalSilo>()));
        services.Replace(ServiceDescriptor.Singleton<ICallRouter>(sp => sp.GetRequiredService<ClusterRouter>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, SiloKestrelSetup>());
        services.AddSingleton<ISiloStartupTask>(sp => new MembershipTableInitializer(sp.GetRequiredService<IMembershipTable>()));
        return builder;
    }

    /// <summary>
    /// Adds a cluster client: an <see cref="IGrainFactory"/> that reads membership from the table, sends each call
    /// straight to the silo that owns the grain, and follows membership changes. Call once per host.
    /// </summary>
    public static IServiceCollection AddGrainsClient(this IServiceCollection services, Action<IClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var parts = new ApplicationParts();
        services.AddOptions<GrainsOptions>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<GrainsOptions>, GrainsOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new GrainTypeRegistry(parts));
        services.AddSingleton(sp => new PendingCallTable(
            sp.GetRequiredService<TimeProvider>(),
            PendingCallTable.SweepIntervalFor(sp.GetRequiredService<IOptions<GrainsOptions>>().Value.ResponseTimeout)));
        services.TryAddSingleton<ClusterRouter>(sp => ActivatorUtilities.CreateInstance<ClusterRouter>(sp));
        services.TryAddSingleton<ConnectionPool>(sp => ActivatorUtilities.CreateInstance<ConnectionPool>(sp));
        services.TryAddSingleton<ICallRouter>(sp => sp.GetRequiredService<ClusterRouter>());
        services.AddSingleton<IGrainCallInvoker, CallDispatcher>();
        services.AddSingleton<IGrainTypeResolver, ClientGrainTypeResolver>();
        services.AddSingleton<IGrainFactory, GrainFactory>();
        services.AddSingleton(sp => new ClusterClient(
            sp.GetRequiredService<MembershipView>(),
            sp.GetRequiredService<ConnectionPool>(),
            sp.GetRequiredService<PendingCallTable>(),
            sp.GetRequiredService<IOptions<MembershipOptions>>(),
            sp.GetRequiredService<IOptions<TransportOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ClusterClient>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ClusterClient>());
        configure(new ClientBuilder(services, parts));
        return services;
    }

    /// <summary>Points a cluster client at the table the silos use.</summary>
    public static IClientBuilder UseClustering(this IClientBuilder builder, Func<IServiceProvider, IMembershipTable> createTable)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddSharedClusterServices(builder.Services, createTable);
        return builder;
    }

    /// <summary>Configures cluster membership and failure detection in code.</summary>
    public static TBuilder ConfigureMembership<TBuilder>(this TBuilder builder, Action<MembershipOptions> configure)
        where TBuilder : IGrainsBuilder
    {
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>Configures the silo port and connection limits in code.</summary>
    public static TBuilder ConfigureEndpoint<TBuilder>(this TBuilder builder, Action<TransportOptions> configure)
        where TBuilder : IGrainsBuilder
    {
        builder.Services.Configure(configure);
        return builder;
    }

    private static void AddSharedClusterServices(IServiceCollection services, Func<IServiceProvider, IMembershipTable> createTable)
    {
        services.AddOptions<MembershipOptions>().ValidateOnStart();
        services.AddOptions<TransportOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MembershipOptions>, MembershipOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TransportOptions>, TransportOptionsValidator>());
        services.Replace(ServiceDescriptor.Singleton(createTable));
        services.TryAddSingleton<SiloNetworkFaults>();
        services.TryAddSingleton<MembershipView>();
        services.TryAddSingleton<InboundCallTracker>();
        services.TryAddSingleton<IGrainCodec>(_ => new JsonGrainCodec(JsonGrainCodec.DefaultOptions()));
    }
}
