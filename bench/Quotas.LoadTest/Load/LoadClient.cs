using System.Net;

namespace Quotas.LoadTest.Load;

/// <summary>The generator's HTTP client: HTTP/1.1 keep-alive, a large connection pool that never recycles.</summary>
internal static class LoadClient
{
    /// <summary>A request still unanswered after this is an error; it bounds how long a step can drain.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    public static HttpClient Create() => new(new SocketsHttpHandler
    {
        // Open-model requests do not wait for each other: while the server queues them they need connections.
        MaxConnectionsPerServer = 256,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = RequestTimeout,
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
}
