using System.Net;
using Grains.AdoNet;
using Grains.Client;
using Grains.Cluster;
using Grains.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Quotas.Gateway;
using Quotas.Gateway.Endpoints;
using Quotas.Gateway.Metrics;
using Quotas.Grains.Scheduling;

namespace Quotas.Host;

/// <summary>Turns <see cref="HostSettings"/> into services: a silo, a cluster client, or both, and the HTTP listener.</summary>
internal static class HostSetup
{
    public static WebApplicationBuilder AddQuotasHost(this WebApplicationBuilder builder, HostSettings settings, GatewayOptions gateway)
    {
        builder.Services.AddSingleton(settings);
        if (settings.Role != HostRole.Silo)
        {
            builder.Services.AddQuotasGateway(gateway);
            builder.Services.AddSingleton<IClusterInfo>(sp => new ClusterInfo(
                sp.GetService<Silo>(), sp.GetService<ClusterClient>(), sp.GetService<IMembershipTable>(), sp.GetRequiredService<ILogger<ClusterInfo>>()));
        }

        builder.Services.AddSingleton<StorageProbe>();
        builder.Services.AddQuotasMetrics();
        // A clustered silo adds its own Kestrel listener for the silo port, and Kestrel then ignores ASPNETCORE_URLS:
        // the HTTP listener is therefore always explicit.
        builder.WebHost.ConfigureKestrel(kestrel => ListenHttp(kestrel, settings.HttpUrl));

        // Grains:Membership:CreateSchema false: the membership table was made ahead of time (deploy/sql), and the
        // database role may lack the rights to create or alter it, as Grains:Storage:Default:CreateSchema for storage.
        var membership = new AdoNetMembershipOptions
        {
            Dialect = AdoNetDialect.PostgreSql,
            ConnectionString = settings.PostgreSqlConnectionString ?? "",
            CreateSchema = builder.Configuration.GetValue(MembershipOptions.SectionName + ":" + nameof(AdoNetMembershipOptions.CreateSchema), true),
        };
        if (settings.Role == HostRole.Gateway)
        {
            builder.UseGrainsClient(client => client
                .AddApplicationPart(typeof(FairShareSchedulerGrain).Assembly)
                .UseAdoNetClustering(membership));
            return builder.AddDraining(settings);
        }

        builder.UseGrains(silo =>
        {
            silo.AddApplicationPart(typeof(FairShareSchedulerGrain).Assembly);
            if (settings.Clustered)
            {
                silo.AddPostgreSqlGrainStorage("Default", settings.PostgreSqlConnectionString!)
                    .UseAdoNetClustering(membership);
            }
            else
            {
                silo.AddSqliteGrainStorage("Default", settings.SqliteConnectionString);
            }
        });
        return builder.AddDraining(settings);
    }

    /// <summary>Registered last: the host stops services in reverse order, so the drain runs before the silo leaves.</summary>
    private static WebApplicationBuilder AddDraining(this WebApplicationBuilder builder, HostSettings settings)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Draining>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Draining>());

        // The host's shutdown timeout bounds the drain and the silo's hand-off together: at least 30 s beyond the delay.
        // Services stop one after the other, or the silo would leave during the drain.
        builder.Services.Configure<HostOptions>(host =>
        {
            host.ServicesStopConcurrently = false;
            var needed = TimeSpan.FromSeconds(30) + settings.DrainDelay;
            host.ShutdownTimeout = host.ShutdownTimeout > needed ? host.ShutdownTimeout : needed;
        });
        return builder;
    }

    private static void ListenHttp(KestrelServerOptions kestrel, Uri url)
    {
        var port = url.IsDefaultPort ? 80 : url.Port;
        switch (url.Host)
        {
            case "localhost":
                kestrel.ListenLocalhost(port);
                break;
            case "0.0.0.0":
                kestrel.ListenAnyIP(port);
                break;
            default:
                // HostSettings.Validate has refused any other host name.
                kestrel.Listen(IPAddress.Parse(url.Host), port);
                break;
        }
    }
}
