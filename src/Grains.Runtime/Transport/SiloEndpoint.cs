using System.Net;
using Grains.Cluster;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Grains.Transport;

/// <summary>The silo port on Kestrel, and the address the silo advertises once Kestrel has bound it.</summary>
internal sealed class SiloEndpoint(IOptions<TransportOptions> options, TimeProvider time)
{
    private readonly long _generation = time.GetUtcNow().UtcTicks;

    public ListenOptions? Listen { get; set; }

    /// <summary>The silo's identity: advertised host, bound port (resolving port 0) and this process's generation.</summary>
    public SiloAddress Resolve()
    {
        var bound = Listen?.IPEndPoint ?? throw new InvalidOperationException(
            "The silo port is not bound. A clustered silo runs on Kestrel: build its host with WebApplication.CreateBuilder or CreateSlimBuilder.");
        var settings = options.Value;
        // A wildcard listen address comes with an advertised host (TransportOptionsValidator), so the listen address is
        // reachable whenever it is what the silo advertises.
        var host = settings.AdvertisedHost is { Length: > 0 } advertised ? advertised : settings.ListenAddress;
        return new SiloAddress(host, bound.Port, _generation);
    }
}

/// <summary>Adds the silo port to Kestrel, served by <see cref="SiloConnectionHandler"/>.</summary>
internal sealed class SiloKestrelSetup(IOptions<TransportOptions> transport, SiloEndpoint endpoint, IServiceProvider services)
    : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        var settings = transport.Value;
        if (!IPAddress.TryParse(settings.ListenAddress, out var address))
        {
            throw new InvalidOperationException($"Grains:Endpoint:ListenAddress '{settings.ListenAddress}' is not an IP address.");
        }

        options.Listen(address, settings.Port, listen =>
        {
            endpoint.Listen = listen;
            listen.Run(connection => services.GetRequiredService<SiloConnectionHandler>().OnConnectedAsync(connection));
        });
    }
}
