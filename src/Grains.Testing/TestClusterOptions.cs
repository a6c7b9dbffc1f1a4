using System.Reflection;
using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Grains.Testing;

/// <summary>How a test cluster's silos are built. Every silo of the cluster shares these settings and its database.</summary>
public sealed class TestClusterOptions
{
    /// <summary>Unique per cluster by default, so clusters sharing a database never see each other's state.</summary>
    public string ServiceId { get; set; } = TestDatabases.NewServiceId();

    /// <summary>The "Default" grain storage. A new SQLite file by default.</summary>
    public TestStorage Storage { get; set; } = TestStorage.Sqlite();

    /// <summary>The silos' clock; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; set; }

    public List<Assembly> ApplicationParts { get; } = [];

    public Action<GrainsOptions>? ConfigureGrains { get; set; }

    public Action<ISiloBuilder>? ConfigureSilo { get; set; }

    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>How long stopping a silo may take before outstanding work is abandoned. Default 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Logging is off unless configured here.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}
