using System.Net;

namespace Grains.Transport;

/// <summary>Silo endpoint and connection settings, bound from "Grains:Endpoint". Defaults on each property.</summary>
public sealed class TransportOptions
{
    public const string SectionName = "Grains:Endpoint";

    /// <summary>
    /// The address the silo listens on. Default 127.0.0.1; use 0.0.0.0 to accept connections from other hosts, with
    /// <see cref="AdvertisedHost"/> set (required then). The port trusts whoever reaches it with the cluster id: keep it
    /// on a network only the cluster's silos and gateways reach.
    /// </summary>
    public string ListenAddress { get; set; } = IPAddress.Loopback.ToString();

    /// <summary>The silo port; 0 picks a free port. Default 11111.</summary>
    public int Port { get; set; } = 11111;

    /// <summary>The host other silos and clients connect to. Default: the listen address; required when that is 0.0.0.0 or ::.</summary>
    public string? AdvertisedHost { get; set; }

    /// <summary>
    /// The largest frame this process reads; a peer sending more is disconnected. Each end says its own at the handshake
    /// and sends no more than the smaller of the two: a larger call or answer fails alone, with the reason. Default 16 MiB.
    /// </summary>
    public int MaxFrameSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Frames waiting to be written per connection before senders of requests wait (backpressure); answers do not
    /// wait, and a peer that lets 16 times this many pile up while it takes nothing is disconnected. Default 4096.
    /// </summary>
    public int SendQueueCapacity { get; set; } = 4096;

    /// <summary>How long connecting and the handshake may take. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a connection whose calls ran past their deadlines waits for its peer to answer a ping before it closes
    /// (a peer gone without a word); zero turns the check off. Default 5 s.
    /// </summary>
    public TimeSpan LivenessTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a connection, either end, stays idle before the kernel probes whether its peer is still there (TCP
    /// keepalive, see TcpKeepAlive); a peer gone without a word is found within this plus 15 s. Zero turns it off.
    /// Default 30 s.
    /// </summary>
    public TimeSpan KeepAliveTime { get; set; } = TimeSpan.FromSeconds(30);
}
