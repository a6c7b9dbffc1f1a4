using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Quotas.Gateway;

/// <summary>
/// Takes the client's address from <c>X-Forwarded-For</c> when the request comes through a trusted proxy
/// (<see cref="GatewayOptions.TrustedProxies"/>), so that what is counted per client address (keys that are not
/// valid) counts each client behind the proxy apart. The header is read from the right, as far as the proxies in it
/// are trusted: a client cannot name another address by sending the header itself.
/// </summary>
internal static class ForwardedClients
{
    public static IApplicationBuilder UseForwardedClients(this IApplicationBuilder app, IReadOnlyList<string> trustedProxies)
    {
        if (trustedProxies.Count == 0)
        {
            return app;
        }

        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = null };
        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        foreach (var proxy in trustedProxies)
        {
            TryParse(proxy, out var network);
            options.KnownIPNetworks.Add(network);
        }

        return app.UseForwardedHeaders(options);
    }

    /// <summary>An address (taken as a network of one) or a network in CIDR notation.</summary>
    public static bool TryParse(string text, out IPNetwork network)
    {
        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.GetAddressBytes().Length * 8);
            return true;
        }

        return IPNetwork.TryParse(text, out network);
    }
}
