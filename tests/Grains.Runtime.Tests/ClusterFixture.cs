using Grains.Runtime.Tests.Grains;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Runtime.Tests;

/// <summary>Starts single-silo test clusters hosting this assembly's test grains.</summary>
internal static class Clusters
{
    public static TestClusterOptions Options(LifecycleProbe probe, TestStorage? storage = null, TimeProvider? time = null, Action<GrainsOptions>? grains = null)
    {
        var options = new TestClusterOptions
        {
            Storage = storage ?? TestStorage.Sqlite(),
            TimeProvider = time,
            ConfigureGrains = grains,
            ConfigureServices = services => services.AddSingleton(probe).AddSingleton<ActivationGate>().AddSingleton<HookGate>().AddScoped<ScopedResource>()
                .AddSingleton<DisposalGate>().AddScoped<HangingDisposal>(),
        };
        options.ApplicationParts.Add(typeof(CounterGrain).Assembly);
        return options;
    }

    public static Task<TestCluster> StartAsync(LifecycleProbe probe, TestStorage? storage = null, TimeProvider? time = null, Action<GrainsOptions>? grains = null) =>
        TestCluster.StartAsync(Options(probe, storage, time, grains));
}
