using Grains.Testing;
using Quotas.Grains.Scheduling;

namespace Quotas.Grains.Tests;

/// <summary>Test clusters that host the quota grains.</summary>
internal static class QuotaClusters
{
    public static TestClusterOptions Options(TestStorage storage, int silos = 1, TimeProvider? time = null)
    {
        var options = new TestClusterOptions
        {
            InitialSilos = silos,
            Storage = storage,
            Membership = silos > 1 ? storage : null,
            TimeProvider = time,
        };
        options.ApplicationParts.Add(typeof(FairShareSchedulerGrain).Assembly);
        return options;
    }

    public static Task<TestCluster> StartAsync(TestStorage storage, int silos = 1, TimeProvider? time = null) =>
        TestCluster.StartAsync(Options(storage, silos, time));

    /// <summary>A one-silo cluster whose storage fails or holds writes as <paramref name="faults"/> says.</summary>
    public static Task<TestCluster> StartAsync(TestStorage storage, StorageFaults faults, TimeProvider? time = null)
    {
        var options = Options(storage, time: time);
        options.ConfigureServices = faults.Install;
        return TestCluster.StartAsync(options);
    }
}
