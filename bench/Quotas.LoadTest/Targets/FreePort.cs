using System.Net;
using System.Net.Sockets;

namespace Quotas.LoadTest.Targets;

/// <summary>A loopback port that was free a moment ago (the kernel picks it; another process could still take it).</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
