using Grains.Cluster;
using Grains.Messaging;
using Grains.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Client;

/// <summary>
/// The hosted part of a cluster client: reads membership (and follows its changes), waits for an Active silo, and
/// learns the grain types the silos host from the first handshake. Calls are made through <see cref="IGrainFactory"/>.
/// </summary>
public sealed partial class ClusterClient : IHostedService
{
    private readonly MembershipView _view;
    private readonly ConnectionPool _connections;
    private readonly PendingCallTable _pendingCalls;
    private readonly MembershipOptions _options;
    private readonly TransportOptions _transport;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterClient> _logger;
    private IDisposable? _deadSilos;

    internal ClusterClient(
        MembershipView view,
        ConnectionPool connections,
        PendingCallTable pendingCalls,
        IOptions<MembershipOptions> options,
        IOptions<TransportOptions> transport,
        TimeProvider time,
        ILogger<ClusterClient> logger)
    {
        _view = view;
        _connections = connections;
        _pendingCalls = pendingCalls;
        _options = options.Value;
        _transport = transport.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The membership this client currently routes by.</summary>
    public MembershipSnapshot Membership => _view.Current;

    /// <summary>How long <see cref="StartAsync"/> waits for an Active silo. Default 30 s.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _view.Table.InitializeAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        try
        {
            await _view.StartAsync(timeout.Token);
            // Connections to silos declared dead are given up as silos give theirs up: a call in flight on one to a
            // silo that vanished with its sockets open fails as lost rather than at its response timeout.
            _deadSilos ??= _view.Subscribe(snapshot => _connections.RetireDead(snapshot, _options.ShutdownAnnouncementDelay, _time));
            while (true)
            {
                var snapshot = await _view.WaitForAsync(s => s.ActiveSilos.Count > 0, timeout.Token);
                if (await ConnectToAnyAsync(snapshot, timeout.Token))
                {
                    LogConnected(_logger, _options.ClusterId, snapshot.ActiveSilos.Count);
                    Diagnostics.SiloMetrics.ClientStarted(this, _options.ClusterId);
                    return;
                }

                await Task.Delay(_transport.ConnectTimeout / 10, _time, timeout.Token);
                await _view.RefreshAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SiloUnavailableException(
                $"No active silo of cluster '{_options.ClusterId}' could be reached within {StartTimeout} (membership at {_view.Table.Target}). " +
                "Start the silos, or check the cluster id and the membership connection string.");
        }
    }

    /// <summary>
    /// Whether some Active silo answers a ping within <paramref name="timeout"/>, on a connection open or opened then.
    /// Rows of silos that died together (or the only one) stay Active, since no silo is left to vote them dead, and a
    /// connection to a silo that just died can look open until the client notices it close: only an answer tells a
    /// client whether the cluster can answer. Every Active silo is asked at once, so one that hangs costs no time.
    /// </summary>
    public async Task<bool> CanReachAnActiveSiloAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var snapshot = _view.Current;
        var pings = snapshot.ActiveSilos.Select(silo => AnswersPingAsync(snapshot, silo, timeout, deadline.Token)).ToList();
        try
        {
            while (pings.Count > 0)
            {
                var answered = await Task.WhenAny(pings);
                if (await answered)
                {
                    return true;
                }

                pings.Remove(answered);
            }

            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
        finally
        {
            await deadline.CancelAsync(); // the pings still waiting end now
        }
    }

    private async Task<bool> AnswersPingAsync(MembershipSnapshot snapshot, SiloAddress silo, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _connections.GetAsync(silo, cancellationToken);
            return await connection.PingAsync(snapshot.Version, "", timeout, _time, cancellationToken);
        }
        catch (Exception e) when (e is SiloUnavailableException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Opens (or finds open) a connection to one of the snapshot's Active silos; false when none answers.</summary>
    private async Task<bool> ConnectToAnyAsync(MembershipSnapshot snapshot, CancellationToken cancellationToken)
    {
        foreach (var silo in snapshot.ActiveSilos)
        {
            try
            {
                await _connections.GetAsync(silo, cancellationToken);
                return true;
            }
            catch (SiloUnavailableException)
            {
                // Try the next one; the view may be behind.
            }
        }

        return false;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Diagnostics.SiloMetrics.ClientStopped(this);
        _deadSilos?.Dispose();
        // The silo may have run such a call already: its outcome is unknown, not "did not run".
        _pendingCalls.FailAll(static () => new GrainConnectionLostException(
            "The cluster client stopped before the answer arrived; the call may or may not have run."));
        await _connections.DisposeAsync();
        await _view.DisposeAsync();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Cluster client connected to cluster {ClusterId} ({ActiveCount} active silos)")]
    private static partial void LogConnected(ILogger logger, string clusterId, int activeCount);
}
