using Grains.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Grains.Testing;

/// <summary>A cluster client in the test process, as a gateway or any .NET application would use one.</summary>
public sealed class TestClient : IAsyncDisposable
{
    private readonly IHost _host;
    private int _disposed;

    internal TestClient(IHost host)
    {
        _host = host;
        GrainFactory = host.Services.GetRequiredService<IGrainFactory>();
        Client = host.Services.GetRequiredService<ClusterClient>();
    }

    public IGrainFactory GrainFactory { get; }

    public ClusterClient Client { get; }

    public IServiceProvider Services => _host.Services;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _host.StopAsync();
        _host.Dispose();
    }
}
