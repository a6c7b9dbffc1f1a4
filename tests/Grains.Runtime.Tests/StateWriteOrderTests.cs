using Grains.Runtime.Tests.Grains;
using Grains.Testing;

namespace Grains.Runtime.Tests;

public sealed class StateWriteOrderTests
{
    /// <summary>
    /// Two writes of one state started together run one after the other, the second with the ETag the first stored: before,
    /// both sent the ETag read at activation, and whichever landed second conflicted and deactivated the grain.
    /// </summary>
    [Fact]
    public async Task Writes_started_together_both_store_and_the_last_one_wins()
    {
        var held = new HeldWrites();
        var options = Clusters.Options(new LifecycleProbe());
        held.AddTo(options);
        await using var cluster = await TestCluster.StartAsync(options);
        var grain = cluster.GrainFactory.GetGrain<ILateWriterGrain>("twice");
        await grain.Set(1);

        held.HoldNext(); // the first write waits on its store until the second has been started
        var writing = grain.WriteTwiceAtOnce(10);
        await held.Entered;
        held.Proceed();

        Assert.Equal(11, await writing);
        await grain.Deactivate();
        Assert.Equal(11, await grain.Get()); // read back by a new activation
        Assert.Equal(12, await grain.Set(12)); // and its ETag is the one stored last
    }
}
