using Grains.Transport;
using Microsoft.Extensions.Options;

namespace Grains.Cluster;

internal sealed class MembershipOptionsValidator : IValidateOptions<MembershipOptions>
{
    public ValidateOptionsResult Validate(string? name, MembershipOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId) || options.ClusterId.Length > 128)
        {
            failures.Add("Grains:Membership:ClusterId must have 1 to 128 characters.");
        }

        foreach (var (value, setting) in new[]
        {
            (options.ProbeInterval, nameof(options.ProbeInterval)),
            (options.ProbeTimeout, nameof(options.ProbeTimeout)),
            (options.VoteExpiration, nameof(options.VoteExpiration)),
            (options.IAmAliveInterval, nameof(options.IAmAliveInterval)),
            (options.RefreshInterval, nameof(options.RefreshInterval)),
            (options.DefunctSiloExpiration, nameof(options.DefunctSiloExpiration)),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"Grains:Membership:{setting} must be a positive duration; it is {value}.");
            }
        }

        if (options.ShutdownAnnouncementDelay < TimeSpan.Zero)
        {
            failures.Add("Grains:Membership:ShutdownAnnouncementDelay must not be negative.");
        }

        if (options.MissedProbesLimit < 1 || options.ProbedSilos < 1 || options.VotesForDeath < 1)
        {
            failures.Add("Grains:Membership:MissedProbesLimit, ProbedSilos and VotesForDeath must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class TransportOptionsValidator : IValidateOptions<TransportOptions>
{
    public ValidateOptionsResult Validate(string? name, TransportOptions options)
    {
        var failures = new List<string>();
        if (!System.Net.IPAddress.TryParse(options.ListenAddress, out var listen))
        {
            failures.Add($"Grains:Endpoint:ListenAddress '{options.ListenAddress}' is not an IP address.");
        }
        else if ((listen.Equals(System.Net.IPAddress.Any) || listen.Equals(System.Net.IPAddress.IPv6Any)) && string.IsNullOrWhiteSpace(options.AdvertisedHost))
        {
            // Listening on every interface is for peers on other hosts, which cannot reach the loopback address the
            // silo would otherwise advertise: they would fail to connect and vote it dead.
            failures.Add(
                $"Grains:Endpoint:ListenAddress '{options.ListenAddress}' accepts connections from other hosts, but without " +
                "Grains:Endpoint:AdvertisedHost the silo advertises 127.0.0.1, which they cannot reach: set AdvertisedHost to " +
                "this host's name or address as the other silos and gateways reach it.");
        }

        if (options.Port is < 0 or > 65535)
        {
            failures.Add($"Grains:Endpoint:Port {options.Port} is not a port (0 picks a free one).");
        }

        if (options.MaxFrameSize < Transport.Handshake.MinFrameSize)
        {
            failures.Add($"Grains:Endpoint:MaxFrameSize must be at least {Transport.Handshake.MinFrameSize} bytes.");
        }

        if (options.SendQueueCapacity < 1 || options.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add("Grains:Endpoint:SendQueueCapacity must be at least 1 and ConnectTimeout positive.");
        }

        if (options.LivenessTimeout < TimeSpan.Zero)
        {
            failures.Add($"Grains:Endpoint:LivenessTimeout must be zero (off) or a positive duration such as 00:00:05; it is {options.LivenessTimeout}.");
        }

        if (options.KeepAliveTime < TimeSpan.Zero || options.KeepAliveTime > TcpKeepAlive.MaxIdle)
        {
            failures.Add($"Grains:Endpoint:KeepAliveTime must be zero (off) or a duration up to {TcpKeepAlive.MaxIdle} (the most Linux takes) such as 00:00:30; it is {options.KeepAliveTime}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
