using Grains.Cluster;
using Grains.Transport;

namespace Grains.Runtime.Tests;

public sealed class TransportOptionsTests
{
    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public void Listening_on_every_interface_needs_an_advertised_host_other_hosts_can_reach(string listen)
    {
        var validator = new TransportOptionsValidator();

        var refused = validator.Validate(null, new TransportOptions { ListenAddress = listen });
        var advertised = validator.Validate(null, new TransportOptions { ListenAddress = listen, AdvertisedHost = "silo-1.internal" });

        Assert.True(refused.Failed);
        Assert.Contains("Grains:Endpoint:AdvertisedHost", refused.FailureMessage, StringComparison.Ordinal);
        Assert.True(advertised.Succeeded);
        Assert.True(validator.Validate(null, new TransportOptions { ListenAddress = "10.0.0.5" }).Succeeded);
        Assert.True(validator.Validate(null, new TransportOptions()).Succeeded);
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("09:06:08")]
    public void A_keepalive_time_below_zero_or_beyond_what_Linux_takes_is_refused_with_the_setting_named(string keepAlive)
    {
        var validator = new TransportOptionsValidator();

        var refused = validator.Validate(null, new TransportOptions { KeepAliveTime = TimeSpan.Parse(keepAlive, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.True(refused.Failed);
        Assert.Contains("Grains:Endpoint:KeepAliveTime", refused.FailureMessage, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new TransportOptions { KeepAliveTime = TimeSpan.Zero }).Succeeded);
        Assert.True(validator.Validate(null, new TransportOptions { KeepAliveTime = TimeSpan.FromSeconds(32_767) }).Succeeded);
    }
}
