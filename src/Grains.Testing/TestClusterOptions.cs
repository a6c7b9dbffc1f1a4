using System.Reflection;
using Grains.Cluster;
using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Grains.Testing;

/// <summary>How a test cluster's silos are built. Every silo shares these settings and its databases.</summary>
public sealed class TestClusterOptions
{
    /// <summary>Unique per cluster by default, so clusters sharing a database never see each other's state.</summary>
    public string ServiceId { get; set; } = TestDatabases.NewServiceId();

    /// <summary>Unique per cluster by default, so clusters sharing a membership table never see each other.</summary>
    public string ClusterId { get; set; } = "cluster-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The "Default" grain storage. A new SQLite file by default.</summary>
    public TestStorage Storage { get; set; } = TestStorage.Sqlite();

    /// <summary>Where membership lives. Null: a single silo without clustering (and without Kestrel).</summary>
    public TestStorage? Membership { get; set; }

    /// <summary>How many silos <see cref="TestCluster.StartAsync"/> starts. Default 1.</summary>
    public int InitialSilos { get; set; } = 1;

    /// <summary>
    /// The silos' clock; the system clock when null. A <see cref="ManualTimeProvider"/> makes a clustered silo's stop
    /// skip the shutdown announcement's wait, so calls in flight to a stopping silo may fail, and turns off failure
    /// detection (no silo is ever voted dead): tests of graceful stops and of failures run on the system clock.
    /// </summary>
    public TimeProvider? TimeProvider { get; set; }

    public List<Assembly> ApplicationParts { get; } = [];

    public Action<GrainsOptions>? ConfigureGrains { get; set; }

    /// <summary>Applied after the fast test timings (<see cref="FastFailureDetection"/>).</summary>
    public Action<MembershipOptions>? ConfigureMembership { get; set; }

    public Action<ISiloBuilder>? ConfigureSilo { get; set; }

    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>How long stopping a silo may take before outstanding work is abandoned. Default 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Logging is off unless configured here.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }

    /// <summary>Failure detection tuned for tests: a silo that stops answering is declared dead in about a second.</summary>
    public static void FastFailureDetection(MembershipOptions options)
    {
        options.ProbeInterval = TimeSpan.FromMilliseconds(200);
        options.ProbeTimeout = TimeSpan.FromMilliseconds(300);
        options.MissedProbesLimit = 3;
        options.RefreshInterval = TimeSpan.FromMilliseconds(250);
        options.IAmAliveInterval = TimeSpan.FromSeconds(1);
        options.ShutdownAnnouncementDelay = TimeSpan.FromMilliseconds(500);
        options.VoteExpiration = TimeSpan.FromSeconds(20);
    }
}
