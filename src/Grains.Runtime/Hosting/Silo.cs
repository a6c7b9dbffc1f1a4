using Grains.Activation;
using Grains.Cluster;
using Grains.Diagnostics;
using Grains.Manifest;
using Grains.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Hosting;

/// <summary>
/// The silo as a hosted service. Starting: storage and membership checks, then (once Kestrel listens) joining the
/// cluster. Running: idle collection. Stopping: leave the cluster (grains handed off), deactivate every activation
/// so hooks run, answer what is in flight.
/// </summary>
public sealed partial class Silo : IHostedLifecycleService, IDisposable
{
    private readonly ActivationDirectory _directory;
    private readonly PendingCallTable _pendingCalls;
    private readonly IEnumerable<ISiloStartupTask> _startupTasks;
    private readonly GrainTypeRegistry _registry;
    private readonly GrainsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<Silo> _logger;
    private readonly ClusterParticipation? _cluster;
    private ITimer? _collectionTimer;
    private volatile SiloStatus _status = SiloStatus.Created;
    private int _killed;

    internal Silo(IServiceProvider services)
    {
        _directory = services.GetRequiredService<ActivationDirectory>();
        _pendingCalls = services.GetRequiredService<PendingCallTable>();
        _startupTasks = services.GetServices<ISiloStartupTask>();
        _registry = services.GetRequiredService<GrainTypeRegistry>();
        _options = services.GetRequiredService<IOptions<GrainsOptions>>().Value;
        _time = services.GetRequiredService<TimeProvider>();
        _logger = services.GetRequiredService<ILogger<Silo>>();
        _cluster = services.GetService<ClusterParticipation>();
    }

    public SiloStatus Status => _status;

    public string ServiceId => _options.ServiceId;

    /// <summary>The number of live activations in this silo.</summary>
    public int ActivationCount => _directory.Count;

    /// <summary>Live activations by grain type (a moment's count, for metrics).</summary>
    public IReadOnlyDictionary<string, int> ActivationCountsByType() => _directory.CountByType();

    /// <summary>
    /// Completes when the grain's activation on this silo, as of this call, has deactivated; at once when it has none
    /// here. A later activation of the same grain is not waited for.
    /// </summary>
    public Task ActivationGoneAsync(GrainId grainId) => _directory.Gone(grainId);

    /// <summary>
    /// Completes once the grain's activation on this silo has no call running or waiting (timer ticks included), as
    /// seen after every call that reached it before this one; at once when it has none here. For tests that must act
    /// between an activation's turns, such as collecting it while a timer's turn may still be running.
    /// </summary>
    public Task ActivationQuietAsync(GrainId grainId) => _directory.Quiet(grainId);

    /// <summary>
    /// Deactivates the grain's activation on this silo, as a move to another silo would, once its running calls end,
    /// and waits for it; at once when it has none here. Unlike idle collection it takes an activation that delayed its
    /// deactivation too. For tests that need one grain activated afresh.
    /// </summary>
    public Task DeactivateAsync(GrainId grainId) => _directory.Deactivate(grainId);

    /// <summary>This silo's identity in its cluster; null for a silo without clustering.</summary>
    public LocalSilo? Cluster => _cluster?.Self;

    internal MembershipView? MembershipView => _cluster?.View;

    /// <summary>The membership as this silo last read it; null for a silo without clustering.</summary>
    public MembershipSnapshot? Membership => _cluster?.View.Current;

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        _status = SiloStatus.Starting;
        foreach (var task in _startupTasks)
        {
            await task.ExecuteAsync(cancellationToken);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs once every hosted service has started, so the silo port is open before the silo joins.</summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        if (_cluster is not null)
        {
            await _cluster.JoinAsync(Environment.MachineName, cancellationToken);
        }

        _collectionTimer = _time.CreateTimer(static state => ((Silo)state!).CollectIdle(), this, _options.CollectionQuantum, _options.CollectionQuantum);
        _status = SiloStatus.Active;
        SiloMetrics.Started(this);
        LogStarted(_logger, _options.ServiceId, _registry.Classes.Count, _cluster?.Self.Name ?? "no cluster");
    }

    /// <summary>
    /// In a cluster, the grains are handed off here, before any hosted service stops, so that connections stay open
    /// while they go. A silo without a cluster (no membership, as in an embedded host) hands off in
    /// <see cref="StopAsync"/> instead, after the hosted services registered after it (a web server) have stopped: the
    /// requests they still serve reach their grains rather than a silo that no longer accepts calls.
    /// </summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => _cluster is null ? Task.CompletedTask : LeaveAsync(cancellationToken);

    private async Task LeaveAsync(CancellationToken cancellationToken)
    {
        if (_status is SiloStatus.Stopping or SiloStatus.Stopped || Volatile.Read(ref _killed) == 1)
        {
            return;
        }

        _status = SiloStatus.Stopping;
        LogStopping(_logger, _directory.Count);
        _collectionTimer?.Dispose();
        try
        {
            if (_cluster is not null)
            {
                await _cluster.BeginLeaveAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The host's time ran out while the departure was being announced; the steps below still run.
        }

        // Every step runs, whatever the host's time: the grains are asked to deactivate, and given the host's time or,
        // once it is up, a few seconds of the silo's own (real time, as the host's is), so that those that can store
        // what they hand over before the row says Dead and the others activate them from storage.
        _directory.StopAccepting();
        await _directory.Shared.Stopping.CancelAsync();
        using var deactivation = cancellationToken.IsCancellationRequested
            ? new CancellationTokenSource(s_deactivationGrace)
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await _directory.DeactivateAllAsync(new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo is shutting down."), deactivation.Token);
        }
        catch (OperationCanceledException)
        {
            // A call that never returns keeps its activation from deactivating; the host's shutdown timeout bounds the wait.
            LogStopTimedOut(_logger, _directory.Count);
        }

        if (_cluster is not null)
        {
            // Announced Dead even after the wait ran out (see FinishLeaveAsync): the silo's row does not stay
            // ShuttingDown until the others vote it out.
            await _cluster.FinishLeaveAsync(cancellationToken);
        }
    }

    /// <summary>How long the grains may take to deactivate once the host's shutdown time is up before the stop goes on.</summary>
    private static readonly TimeSpan s_deactivationGrace = TimeSpan.FromSeconds(5);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_cluster is null)
        {
            await LeaveAsync(cancellationToken);
        }

        // The callee may have run such a call already: its outcome is unknown, not "did not run".
        var failed = _pendingCalls.FailAll(static () => new GrainConnectionLostException(
            "The silo stopped before the answer arrived; the call may or may not have run."));
        if (failed > 0)
        {
            LogPendingCallsFailed(_logger, failed);
        }

        _status = SiloStatus.Stopped;
        SiloMetrics.Stopped(this);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivates every activation idle for at least <paramref name="ageLimit"/> and waits for them; returns how many.</summary>
    public Task<int> CollectIdleActivationsAsync(TimeSpan ageLimit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ageLimit, TimeSpan.Zero);
        return _directory.CollectIdleAsync(ageLimit, cancellationToken);
    }

    /// <summary>
    /// Ends the silo abruptly, as a crashed process would: connections drop, nothing is written to the membership
    /// table, no deactivation hook runs. The other silos must detect the loss. For tests.
    /// </summary>
    public async Task KillAsync()
    {
        Interlocked.Exchange(ref _killed, 1);
        _status = SiloStatus.Stopped;
        SiloMetrics.Stopped(this);
        _collectionTimer?.Dispose();
        _directory.StopAccepting();
        if (_cluster is not null)
        {
            await _cluster.KillAsync();
        }
    }

    public void Dispose()
    {
        SiloMetrics.Stopped(this);
        _collectionTimer?.Dispose();
        _directory.Shared.Stopping.Dispose();
    }

    private void CollectIdle() => _ = CollectIdleSafelyAsync();

    private async Task CollectIdleSafelyAsync()
    {
        try
        {
            var collected = await _directory.CollectIdleAsync(_options.CollectionAge, _directory.Shared.Stopping.Token);
            if (collected > 0)
            {
                LogCollected(_logger, collected);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception exception)
        {
            LogCollectionFailed(_logger, exception);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Silo of service {ServiceId} started with {GrainClassCount} grain classes ({Cluster})")]
    private static partial void LogStarted(ILogger logger, string serviceId, int grainClassCount, string cluster);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Silo stopping: deactivating {ActivationCount} activations")]
    private static partial void LogStopping(ILogger logger, int activationCount);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Silo stop timed out with {ActivationCount} activations still deactivating")]
    private static partial void LogStopTimedOut(ILogger logger, int activationCount);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Collected {Count} idle activations")]
    private static partial void LogCollected(ILogger logger, int count);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Idle collection failed")]
    private static partial void LogCollectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Silo stopped with {Count} calls unanswered; their callers get SiloUnavailableException")]
    private static partial void LogPendingCallsFailed(ILogger logger, int count);
}
