using System.Globalization;

namespace Grains.Cluster.Tests;

/// <summary>
/// This host's TCP sockets as the Linux kernel lists them (/proc/net/tcp, and /proc/net/tcp6 for dual-mode sockets,
/// which .NET opens by default): what a socket's options made of it, seen from outside the process.
/// </summary>
internal static class KernelTcpTable
{
    private const string Established = "01";

    /// <summary>
    /// An established socket and the timer the kernel has armed on it: 2 is the keepalive timer, 0 none, 1 a
    /// retransmission, 4 a zero-window probe.
    /// </summary>
    public sealed record Socket(int LocalPort, int RemotePort, int Timer);

    public static IReadOnlyList<Socket> EstablishedSockets() =>
        new[] { "/proc/net/tcp", "/proc/net/tcp6" }
            .SelectMany(table => File.ReadLines(table).Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields[3] == Established)
            .Select(fields => new Socket(Port(fields[1]), Port(fields[2]), int.Parse(fields[5].Split(':')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
            .ToList();

    // "0100007F:2B67": the address, then the port, in hexadecimal.
    private static int Port(string endpoint) => int.Parse(endpoint.Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
