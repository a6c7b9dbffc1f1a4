using Grains.AdoNet.Storage;
using Grains.Hosting;
using Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.AdoNet;

/// <summary>Registers ADO.NET grain storages on a silo.</summary>
public static class AdoNetGrainStorageExtensions
{
    /// <summary>Adds a named grain storage on PostgreSQL.</summary>
    public static ISiloBuilder AddPostgreSqlGrainStorage(this ISiloBuilder builder, string name, string connectionString) =>
        builder.AddAdoNetGrainStorage(name, options =>
        {
            options.Dialect = AdoNetDialect.PostgreSql;
            options.ConnectionString = connectionString;
        });

    /// <summary>Adds a named grain storage in a SQLite file.</summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder, string name, string connectionString) =>
        builder.AddAdoNetGrainStorage(name, options =>
        {
            options.Dialect = AdoNetDialect.Sqlite;
            options.ConnectionString = connectionString;
        });

    /// <summary>
    /// Adds a named ADO.NET grain storage; its schema is created and checked before the silo takes calls, and records
    /// that expired (<see cref="IPersistentState{TState}.ExpiresAt"/>) are deleted in the background.
    /// </summary>
    public static ISiloBuilder AddAdoNetGrainStorage(this ISiloBuilder builder, string name, Action<AdoNetGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        // Settings in configuration ("Grains:Storage:<name>", e.g. ExpiredStateGracePeriod) override those in code.
        services.AddOptions<AdoNetGrainStorageOptions>(name).Configure(configure).BindConfiguration($"Grains:Storage:{name}").ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdoNetGrainStorageOptions>, AdoNetGrainStorageOptionsValidator>());
        services.AddKeyedSingleton(name, (sp, _) => new AdoNetGrainStorage(
            name,
            sp.GetRequiredService<IOptions<GrainsOptions>>().Value.ServiceId,
            sp.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get(name),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<AdoNetGrainStorage>()));
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) => sp.GetRequiredKeyedService<AdoNetGrainStorage>(key));
        services.AddSingleton<ISiloStartupTask>(sp => new AdoNetStorageInitializer(sp.GetRequiredKeyedService<AdoNetGrainStorage>(name)));
        // Once per silo: the check that storages sharing a table share their sweep settings (see SharedTableSweeps).
        if (services.FirstOrDefault(d => d.ServiceType == typeof(AdoNetStorageNames))?.ImplementationInstance is not AdoNetStorageNames names)
        {
            names = new AdoNetStorageNames();
            services.AddSingleton(names);
            services.AddSingleton<ISiloStartupTask, SharedTableSweeps>();
        }

        names.All.Add(name);
        // One sweeper per storage: registered as IHostedService itself, since AddHostedService would keep only one.
        services.AddSingleton<IHostedService>(sp => new ExpiredStateSweeper(
            sp.GetRequiredKeyedService<AdoNetGrainStorage>(name),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ExpiredStateSweeper>>()));
        return builder;
    }
}
