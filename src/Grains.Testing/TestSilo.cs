using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Grains.Testing;

/// <summary>One in-process silo of a test cluster.</summary>
public sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    internal TestSilo(IHost host)
    {
        _host = host;
        Silo = host.Services.GetRequiredService<Silo>();
        GrainFactory = host.Services.GetRequiredService<IGrainFactory>();
    }

    public IServiceProvider Services => _host.Services;

    public Silo Silo { get; }

    public IGrainFactory GrainFactory { get; }

    public bool IsRunning => !_stopped;

    /// <summary>Stops gracefully: every activation is deactivated and its hook runs.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _host.StopAsync(cancellationToken);
        _host.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
