using Grains.Runtime.Tests.Grains;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Grains.Runtime.Tests;

/// <summary>
/// A silo without a cluster (an embedded host) keeps its grains until the hosted services registered after it, such
/// as its web server, have stopped: the requests those still serve while they stop reach their grains, where the silo
/// used to stop accepting calls before any service stopped, and such requests failed.
/// </summary>
public sealed class SiloStopOrderTests
{
    [Fact]
    public async Task A_service_registered_after_a_silo_without_a_cluster_still_reaches_its_grains_while_it_stops()
    {
        var probe = new LifecycleProbe();
        var options = Clusters.Options(probe);
        var configure = options.ConfigureServices;
        options.ConfigureServices = services =>
        {
            configure?.Invoke(services);
            services.AddHostedService<CallsAGrainWhenStopping>();
        };
        var cluster = await TestCluster.StartAsync(options);
        var grain = cluster.GrainFactory.GetGrain<ICounterGrain>("served-while-stopping");
        Assert.Equal(1, await grain.Increment(1));

        await cluster.DisposeAsync();

        // The call made while the service stopped ran, and the grain was deactivated after it, as the silo shut down.
        Assert.Equal(["stopping: 2"], probe.Events.Where(e => e.StartsWith("stopping", StringComparison.Ordinal)));
        var (key, reason) = Assert.Single(probe.Deactivations);
        Assert.Equal("served-while-stopping", key);
        Assert.Equal(DeactivationReasonCode.ShuttingDown, reason.Code);
    }

    private sealed class CallsAGrainWhenStopping(IGrainFactory grains, LifecycleProbe probe) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            try
            {
                probe.Record($"stopping: {await grains.GetGrain<ICounterGrain>("served-while-stopping").Increment(1)}");
            }
            catch (Exception e)
            {
                probe.Record($"stopping failed: {e.GetType().Name}");
            }
        }
    }
}
