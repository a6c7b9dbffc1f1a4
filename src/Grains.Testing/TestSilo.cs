using Grains.Cluster;
using Grains.Hosting;
using Grains.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Grains.Testing;

/// <summary>One in-process silo of a test cluster.</summary>
public sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly Task _shutdown;
    private int _ended;

    /// <summary>Takes a started host; like a real process, it stops when its lifetime is asked to (for example when declared dead).</summary>
    internal TestSilo(IHost host)
    {
        _host = host;
        Silo = host.Services.GetRequiredService<Silo>();
        GrainFactory = host.Services.GetRequiredService<IGrainFactory>();
        Lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        _shutdown = host.WaitForShutdownAsync();
    }

    public IServiceProvider Services => _host.Services;

    public Silo Silo { get; }

    public IGrainFactory GrainFactory { get; }

    public IHostApplicationLifetime Lifetime { get; }

    public bool IsRunning => Volatile.Read(ref _ended) == 0 && !Lifetime.ApplicationStopping.IsCancellationRequested;

    /// <summary>Completes when the silo has stopped, whoever asked it to.</summary>
    public Task Stopped => _shutdown;

    /// <summary>The silo's address in its cluster (clustered silos only).</summary>
    public SiloAddress Address => Silo.Cluster?.Address ?? throw new InvalidOperationException("The silo is not part of a cluster.");

    /// <summary>The membership this silo currently sees (clustered silos only).</summary>
    public MembershipSnapshot Membership => Silo.MembershipView?.Current ?? throw new InvalidOperationException("The silo is not part of a cluster.");

    /// <summary>Reads the membership table now instead of waiting for a notification or the next poll.</summary>
    public Task RefreshMembershipAsync(CancellationToken cancellationToken = default) =>
        (Silo.MembershipView ?? throw new InvalidOperationException("The silo is not part of a cluster.")).RefreshAsync(cancellationToken);

    /// <summary>Cuts the silo off from the others' probes (and its probes off from them).</summary>
    public SiloNetworkFaults NetworkFaults => Services.GetRequiredService<SiloNetworkFaults>();

    /// <summary>Stops gracefully: the silo leaves the cluster, hands its grains off and runs every deactivation hook.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return;
        }

        Lifetime.StopApplication();
        await _shutdown.WaitAsync(cancellationToken);
        await DisposeHostAsync();
    }

    /// <summary>Ends the silo abruptly: no goodbye to the cluster, no deactivation hook; the others must detect it.</summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return;
        }

        await Silo.KillAsync();
        await DisposeHostAsync();
    }

    /// <summary>Disposes a silo that stopped by itself (declared dead).</summary>
    internal async Task ReleaseStoppedAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            await _shutdown;
            await DisposeHostAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task DisposeHostAsync()
    {
        if (_host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
    }
}
