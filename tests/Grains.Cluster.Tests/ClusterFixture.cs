using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;

using Grains.Cluster.TestGrains;

namespace Grains.Cluster.Tests;

internal static class Clusters
{
    public static TestClusterOptions Options(ActivationLedger ledger, int silos, TestStorage? database = null)
    {
        database ??= TestStorage.PostgreSql();
        var options = new TestClusterOptions
        {
            InitialSilos = silos,
            Storage = database,
            Membership = database,
            ConfigureServices = services => services.AddSingleton(ledger),
        };
        options.ApplicationParts.Add(typeof(PlacedGrain).Assembly);
        return options;
    }
}
