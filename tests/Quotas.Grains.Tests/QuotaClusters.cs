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
}
