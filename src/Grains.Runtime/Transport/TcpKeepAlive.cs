using System.Net.Sockets;

namespace Grains.Transport;

/// <summary>
/// TCP keepalive on silo connections. A peer whose host vanished without a word (lost with its node, or a firewall or
/// load balancer on the way forgot the flow) sends neither data nor a close: an idle connection to it, such as a
/// gateway's connection to a silo, would stay open forever on the silo, kept by nothing, and a silo leaving the cluster
/// would wait its whole drain for it to close. With keepalive the kernel probes a connection idle for
/// <see cref="TransportOptions.KeepAliveTime"/> and closes it when <see cref="ProbeCount"/> probes,
/// <see cref="ProbeInterval"/> apart, go unanswered.
/// </summary>
internal static class TcpKeepAlive
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    public const int ProbeCount = 3;

    /// <summary>Turns keepalive on for <paramref name="socket"/>; nothing when <paramref name="idle"/> is zero (off).</summary>
    public static void Enable(Socket socket, TimeSpan idle)
    {
        if (idle <= TimeSpan.Zero)
        {
            return;
        }

        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, WholeSeconds(idle));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, WholeSeconds(ProbeInterval));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, ProbeCount);
    }

    // The kernel counts in whole seconds; a positive duration below one second still turns keepalive on.
    private static int WholeSeconds(TimeSpan duration) => (int)Math.Clamp(Math.Ceiling(duration.TotalSeconds), 1, int.MaxValue);
}
