using Grains.AdoNet.Clustering;
using Grains.Cluster;
using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Grains.AdoNet;

/// <summary>Keeps cluster membership in PostgreSQL (clusters) or SQLite (several processes on one machine).</summary>
public static class AdoNetClusteringExtensions
{
    public static ISiloBuilder UsePostgreSqlClustering(this ISiloBuilder builder, string connectionString) =>
        builder.UseAdoNetClustering(new AdoNetMembershipOptions { Dialect = AdoNetDialect.PostgreSql, ConnectionString = connectionString });

    public static ISiloBuilder UseSqliteClustering(this ISiloBuilder builder, string connectionString) =>
        builder.UseAdoNetClustering(new AdoNetMembershipOptions { Dialect = AdoNetDialect.Sqlite, ConnectionString = connectionString });

    public static ISiloBuilder UseAdoNetClustering(this ISiloBuilder builder, AdoNetMembershipOptions options) =>
        builder.UseClustering(sp => CreateTable(sp, options));

    public static IClientBuilder UsePostgreSqlClustering(this IClientBuilder builder, string connectionString) =>
        builder.UseAdoNetClustering(new AdoNetMembershipOptions { Dialect = AdoNetDialect.PostgreSql, ConnectionString = connectionString });

    public static IClientBuilder UseSqliteClustering(this IClientBuilder builder, string connectionString) =>
        builder.UseAdoNetClustering(new AdoNetMembershipOptions { Dialect = AdoNetDialect.Sqlite, ConnectionString = connectionString });

    public static IClientBuilder UseAdoNetClustering(this IClientBuilder builder, AdoNetMembershipOptions options) =>
        builder.UseClustering(sp => CreateTable(sp, options));

    private static IMembershipTable CreateTable(IServiceProvider services, AdoNetMembershipOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString, "AdoNetMembershipOptions.ConnectionString");
        return new AdoNetMembershipTable(
            services.GetRequiredService<IOptions<MembershipOptions>>().Value.ClusterId,
            options,
            services.GetRequiredService<TimeProvider>());
    }
}
