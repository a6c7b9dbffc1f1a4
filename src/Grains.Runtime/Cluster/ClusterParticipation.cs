using Grains.Activation;
using Grains.Messaging;
using Grains.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Cluster;

/// <summary>
/// What a silo does as a member of a cluster: joins once its port is open, deactivates the activations it no longer
/// keeps when the view changes, leaves gracefully (handing its grains off), stops itself when declared dead, and
/// can be killed without a goodbye for tests.
/// </summary>
internal sealed partial class ClusterParticipation
{
    private readonly MembershipAgent _agent;
    private readonly MembershipView _view;
    private readonly LocalSilo _self;
    private readonly SiloEndpoint _endpoint;
    private readonly SiloConnectionHandler _inboundConnections;
    private readonly ConnectionPool _outboundConnections;
    private readonly InboundCallTracker _inboundCalls;
    private readonly ActivationDirectory _directory;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly MembershipOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterParticipation> _logger;

    public ClusterParticipation(
        MembershipAgent agent,
        MembershipView view,
        LocalSilo self,
        SiloEndpoint endpoint,
        SiloConnectionHandler inboundConnections,
        ConnectionPool outboundConnections,
        InboundCallTracker inboundCalls,
        ActivationDirectory directory,
        IHostApplicationLifetime lifetime,
        IOptions<MembershipOptions> options,
        TimeProvider time,
        ILogger<ClusterParticipation> logger)
    {
        _agent = agent;
        _view = view;
        _self = self;
        _endpoint = endpoint;
        _inboundConnections = inboundConnections;
        _outboundConnections = outboundConnections;
        _inboundCalls = inboundCalls;
        _directory = directory;
        _lifetime = lifetime;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public LocalSilo Self => _self;

    public MembershipView View => _view;

    public async Task JoinAsync(string siloName, CancellationToken cancellationToken)
    {
        _agent.DeclaredDead += () => _lifetime.StopApplication();
        _view.Subscribe(DeactivateGrainsKeptElsewhere);
        await _agent.JoinAsync(_endpoint.Resolve(), siloName, cancellationToken);
    }

    /// <summary>Step one of a graceful stop: announce ShuttingDown; calls keep flowing while grains are handed off.</summary>
    public Task BeginLeaveAsync(CancellationToken cancellationToken) => _agent.BeginLeaveAsync(cancellationToken);

    /// <summary>
    /// Last step of a graceful stop, once every activation is gone: answer what is in flight, become Dead, keep handing
    /// stragglers off while every view catches up, then the close handshake: each peer is asked to go away and closes
    /// its connection once its last call here is answered, so no call is cut off with an unknown outcome. Once
    /// <paramref name="cancellationToken"/> fires (the host's shutdown time is up: a call that never returns held the
    /// stop) each wait has a few announcement delays of its own, and the row is still written Dead within the few seconds
    /// each departure step has: the others take the grains over at once, rather than vote the silo out after its row
    /// stayed ShuttingDown. A call still unanswered then is cut off.
    /// </summary>
    public async Task FinishLeaveAsync(CancellationToken cancellationToken)
    {
        using (var wait = Budget(cancellationToken, 1))
        {
            await UnlessCancelledAsync(WaitForInboundCallsAsync(wait.Token));
        }

        await _agent.FinishLeaveAsync(CancellationToken.None);
        using (var announce = Budget(cancellationToken, 3))
        {
            await UnlessCancelledAsync(AnnounceGoneAsync(announce.Token));
        }

        _inboundConnections.AbortAll();
        _outboundConnections.AbortAll();
        LogLeft(_logger, _self.Name);
    }

    /// <summary>
    /// Unbounded while the host's time lasts; from when it is up (before or during the wait), <paramref name="delays"/>
    /// announcement delays more, in real time as the host's is, so that peers still hear the silo go (GoAway) and calls
    /// in flight still get answers.
    /// </summary>
    private StopBudget Budget(CancellationToken host, int delays) => new(host, _options.ShutdownAnnouncementDelay * delays);

    private sealed class StopBudget : IDisposable
    {
        private readonly CancellationTokenSource _budget;
        private readonly CancellationTokenRegistration _registration;

        public StopBudget(CancellationToken host, TimeSpan grace)
        {
            var budget = _budget = new CancellationTokenSource();
            _registration = host.Register(() =>
            {
                try
                {
                    if (grace <= TimeSpan.Zero)
                    {
                        budget.Cancel();
                    }
                    else
                    {
                        budget.CancelAfter(grace);
                    }
                }
                catch (ObjectDisposedException)
                {
                    // The wait ended before the host's time did.
                }
            });
        }

        public CancellationToken Token => _budget.Token;

        public void Dispose()
        {
            _registration.Dispose();
            _budget.Dispose();
        }
    }

    private async Task AnnounceGoneAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(_options.ShutdownAnnouncementDelay, _time, cancellationToken);
        await _inboundConnections.GoAwayAsync(_options.ShutdownAnnouncementDelay, _time, cancellationToken);
        await WaitForInboundCallsAsync(cancellationToken);
    }

    private static async Task UnlessCancelledAsync(Task wait)
    {
        try
        {
            await wait;
        }
        catch (OperationCanceledException)
        {
            // The host's time is up: the departure goes on without this wait.
        }
    }

    /// <summary>Drops everything at once, as a crashed process would: no table write, no deactivation.</summary>
    public async Task KillAsync()
    {
        await _agent.KillAsync();
        _inboundConnections.AbortAll();
        _outboundConnections.AbortAll();
    }

    /// <summary>
    /// Waits until the calls received so far are answered. Not for none to be in flight: a leaving silo receives calls
    /// (and forwards them to the grains' new silos) until every view has caught up, and under steady traffic some always
    /// are, so that wait would last until the host's time ran out.
    /// </summary>
    private async Task WaitForInboundCallsAsync(CancellationToken cancellationToken)
    {
        var arrived = _inboundCalls.Cut();
        while (!arrived.Answered)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken);
        }
    }

    /// <summary>Why an activation leaves a silo that <paramref name="snapshot"/> no longer places it on.</summary>
    internal static DeactivationReason PlacedElsewhere(MembershipSnapshot snapshot) =>
        new(DeactivationReasonCode.PlacementChanged, $"Membership version {snapshot.Version} places the grain on another silo.");

    private void DeactivateGrainsKeptElsewhere(MembershipSnapshot snapshot)
    {
        if (!_self.AcceptsActivations)
        {
            return;
        }

        var reason = PlacedElsewhere(snapshot);
        var moved = 0;
        foreach (var activation in _directory.Activations)
        {
            if (snapshot.ActiveRing.GetOwner(activation.GrainId) is { } owner && !_self.Is(owner))
            {
                activation.Deactivate(reason);
                moved++;
            }
        }

        if (moved > 0)
        {
            LogMoved(_logger, moved, snapshot.Version);
        }
    }

    [LoggerMessage(EventId = 220, Level = LogLevel.Information, Message = "Deactivating {Count} activations that membership version {Version} places elsewhere")]
    private static partial void LogMoved(ILogger logger, int count, long version);

    [LoggerMessage(EventId = 221, Level = LogLevel.Information, Message = "Silo {Silo} left the cluster")]
    private static partial void LogLeft(ILogger logger, string silo);
}
