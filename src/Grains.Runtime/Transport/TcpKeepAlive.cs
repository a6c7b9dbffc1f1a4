using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Grains.Transport;

/// <summary>
/// TCP keepalive on silo connections. A peer whose host vanished without a word (lost with its node, or a firewall or
/// load balancer on the way forgot the flow) sends neither data nor a close: an idle connection to it, such as a
/// gateway's connection to a silo, would stay open forever on the silo, kept by nothing, and a silo leaving the cluster
/// would wait its whole drain for it to close. With keepalive the kernel probes a connection idle for
/// <see cref="TransportOptions.KeepAliveTime"/> and closes it when <see cref="ProbeCount"/> probes,
/// <see cref="ProbeInterval"/> apart, go unanswered.
/// </summary>
internal static partial class TcpKeepAlive
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    public const int ProbeCount = 3;

    /// <summary>The longest idle time Linux takes (MAX_TCP_KEEPIDLE, 32,767 s); the options allow at most this.</summary>
    public static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(32_767);

    /// <summary>
    /// Turns keepalive on for <paramref name="socket"/>; nothing when <paramref name="idle"/> is zero (off). A system
    /// that refuses an option gets a warning, and the connection goes on without keepalive: it must not cost the
    /// connection.
    /// </summary>
    public static void Enable(Socket socket, TimeSpan idle, ILogger logger)
    {
        if (idle <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, WholeSeconds(idle));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, WholeSeconds(ProbeInterval));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, ProbeCount);
        }
        catch (Exception exception) when (exception is SocketException or PlatformNotSupportedException)
        {
            LogNotEnabled(logger, exception);
        }
    }

    [LoggerMessage(EventId = 309, Level = LogLevel.Warning, Message = "TCP keepalive could not be turned on for a silo connection; it goes on without (a peer gone without a word is then noticed only when a call to it runs past its deadline)")]
    private static partial void LogNotEnabled(ILogger logger, Exception exception);

    // The kernel counts in whole seconds; a positive duration below one second still turns keepalive on.
    private static int WholeSeconds(TimeSpan duration) => (int)Math.Clamp(Math.Ceiling(duration.TotalSeconds), 1, int.MaxValue);
}
