using System.Net;
using Grains.Transport;

namespace Quotas.Host;

/// <summary>Checks of the configuration that <see cref="HostSettings.Validate"/> cannot make from the bound values alone.</summary>
internal static class ConfigurationChecks
{
    /// <summary>What cannot work, each said with what to change; empty when nothing.</summary>
    public static IEnumerable<string> Errors(IConfiguration configuration, HostSettings settings)
    {
        // The binder reads "Silo,Gateway" as the two values combined, another valid one (Gateway): refused, not guessed at.
        foreach (var (key, names) in new[] { (nameof(HostSettings.Role), Enum.GetNames<HostRole>()), (nameof(HostSettings.Storage), Enum.GetNames<StorageKind>()) })
        {
            if (configuration[$"{HostSettings.SectionName}:{key}"] is { } raw && raw.Contains(','))
            {
                yield return $"{HostSettings.SectionName}:{key} '{raw}' names more than one; give one of {string.Join(", ", names)}{(key == nameof(HostSettings.Role) ? " (Both runs a silo and a gateway in one process)" : "")}.";
            }
        }

        if (settings.Clustered && settings.Role != HostRole.Gateway && settings.HttpUrl is { IsAbsoluteUri: true } && SiloPortClash(configuration, settings.HttpUrl) is { } clash)
        {
            yield return clash;
        }
    }

    /// <summary>
    /// The silo's endpoint (Grains:Endpoint) on the HTTP address's port, where both would listen: Kestrel takes both and
    /// reports only "address already in use". Null when they do not meet, or when the endpoint's settings do not read
    /// (the start reports that, naming the key).
    /// </summary>
    private static string? SiloPortClash(IConfiguration configuration, Uri http)
    {
        TransportOptions endpoint;
        try
        {
            endpoint = configuration.GetSection(TransportOptions.SectionName).Get<TransportOptions>() ?? new TransportOptions();
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        var silo = Addresses(endpoint.ListenAddress);
        var api = Addresses(http.Host);
        var meet = silo is null || api is null || silo.Intersect(api).Any();
        return endpoint.Port != 0 && endpoint.Port == http.Port && meet
            ? $"Grains:Endpoint:Port {endpoint.Port} is the port of Quotas:HttpUrl {http}: the silo's port and the HTTP API cannot share one; change one of them (the silo's default is 11111, the API's 5000)."
            : null;
    }

    /// <summary>The addresses a host listens on: null for any; localhost is both loopbacks, as Kestrel binds it.</summary>
    private static IPAddress[]? Addresses(string host) => host.Trim('[', ']') switch
    {
        "localhost" => [IPAddress.Loopback, IPAddress.IPv6Loopback],
        "*" or "+" => null,
        var named => IPAddress.TryParse(named, out var address)
            ? address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? null : [address]
            : [],
    };
}
