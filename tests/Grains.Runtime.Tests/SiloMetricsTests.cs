using Grains.Cluster;
using Grains.Diagnostics;

namespace Grains.Runtime.Tests;

public sealed class SiloMetricsTests
{
    [Theory]
    [InlineData("10.0.0.5", "10.0.0.5:11111")]
    [InlineData("silo-1.internal", "silo-1.internal:11111")]
    [InlineData("::1", "[::1]:11111")]
    [InlineData("fd00::5", "[fd00::5]:11111")]
    public void A_silo_s_label_is_its_host_and_port_without_its_generation(string host, string label)
    {
        Assert.Equal(label, SiloMetrics.HostAndPort(new SiloAddress(host, 11111, 638_000_000_000_000_000)));
    }
}
