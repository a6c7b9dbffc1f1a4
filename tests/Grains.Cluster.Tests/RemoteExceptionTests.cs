using Grains.Cluster.TestGrains;
using Grains.Testing;

namespace Grains.Cluster.Tests;

public sealed class RemoteExceptionTests
{
    [Fact]
    public async Task An_exception_thrown_in_a_silo_reaches_a_client_with_its_type_message_and_code()
    {
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(new ActivationLedger(), 1));
        await using var client = await cluster.CreateClientAsync();
        var grain = client.GrainFactory.GetGrain<IPlacedGrain>("thrower");

        var plain = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Fail("plain failure"));
        var coded = await Assert.ThrowsAsync<CodedException>(() => grain.FailWithCode("unknown_tenant", "Tenant 'x' does not exist."));

        Assert.Equal("plain failure", plain.Message);
        Assert.Equal("unknown_tenant", coded.Code);
        Assert.Equal("Tenant 'x' does not exist.", coded.Message);
    }
}
