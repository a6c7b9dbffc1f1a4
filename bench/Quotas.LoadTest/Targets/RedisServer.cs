using Quotas.LoadTest.Options;
using Quotas.LoadTest.Redis;

namespace Quotas.LoadTest.Targets;

/// <summary>A redis-server of its own on a free loopback port, without persistence, for the Redis baseline.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private RedisServer(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public TimeSpan ProcessorTime => _process.ProcessorTime;

    public static async Task<RedisServer> StartAsync(CpuList? cpus, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var process = ChildProcess.Start("redis-server", "redis-server",
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], cpus);
        var server = new RedisServer(process, port);
        try
        {
            await process.WaitUntilReadyAsync(server.AnswersPingAsync, TimeSpan.FromSeconds(30), cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private async Task<bool> AnswersPingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await RespConnection.ConnectAsync(Port, cancellationToken);
            var reply = await connection.SendAsync(RespCommand.Ping()).WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
            return reply.Text == "PONG";
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or RespException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
