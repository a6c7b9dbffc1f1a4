using Grains.Activation;
using Grains.Manifest;
using Grains.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Hosting;

/// <summary>
/// The silo as a hosted service: runs start-up tasks (storage schemas) before taking calls, collects idle
/// activations, and on stop deactivates every activation so that their hooks run.
/// </summary>
public sealed partial class Silo : IHostedService, IDisposable
{
    private readonly ActivationDirectory _directory;
    private readonly PendingCallTable _pendingCalls;
    private readonly IEnumerable<ISiloStartupTask> _startupTasks;
    private readonly GrainTypeRegistry _registry;
    private readonly GrainsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<Silo> _logger;
    private ITimer? _collectionTimer;
    private volatile SiloStatus _status = SiloStatus.Created;

    internal Silo(
        ActivationDirectory directory,
        PendingCallTable pendingCalls,
        IEnumerable<ISiloStartupTask> startupTasks,
        GrainTypeRegistry registry,
        IOptions<GrainsOptions> options,
        TimeProvider time,
        ILogger<Silo> logger)
    {
        _directory = directory;
        _pendingCalls = pendingCalls;
        _startupTasks = startupTasks;
        _registry = registry;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public SiloStatus Status => _status;

    public string ServiceId => _options.ServiceId;

    /// <summary>The number of live activations in this silo.</summary>
    public int ActivationCount => _directory.Count;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _status = SiloStatus.Starting;
        foreach (var task in _startupTasks)
        {
            await task.ExecuteAsync(cancellationToken);
        }

        _collectionTimer = _time.CreateTimer(
            static state => ((Silo)state!).CollectIdle(),
            this,
            _options.CollectionQuantum,
            _options.CollectionQuantum);
        _status = SiloStatus.Active;
        LogStarted(_logger, _options.ServiceId, _registry.Classes.Count);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_status is SiloStatus.Stopping or SiloStatus.Stopped)
        {
            return;
        }

        _status = SiloStatus.Stopping;
        LogStopping(_logger, _directory.Count);
        _collectionTimer?.Dispose();
        _directory.StopAccepting();
        await _directory.Shared.Stopping.CancelAsync();
        try
        {
            await _directory.DeactivateAllAsync(
                new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo is shutting down."),
                cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // A call that never returns keeps its activation from deactivating; the host's shutdown timeout bounds the wait.
            LogStopTimedOut(_logger, _directory.Count);
        }

        var failed = _pendingCalls.FailAll(static () => new SiloUnavailableException(
            "The silo stopped before the call completed. Retry against a running silo."));
        if (failed > 0)
        {
            LogPendingCallsFailed(_logger, failed);
        }

        _status = SiloStatus.Stopped;
    }

    /// <summary>Deactivates every activation idle for at least <paramref name="ageLimit"/> and waits for them; returns how many.</summary>
    public Task<int> CollectIdleActivationsAsync(TimeSpan ageLimit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ageLimit, TimeSpan.Zero);
        return _directory.CollectIdleAsync(ageLimit, cancellationToken);
    }

    public void Dispose()
    {
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

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Silo of service {ServiceId} started with {GrainClassCount} grain classes")]
    private static partial void LogStarted(ILogger logger, string serviceId, int grainClassCount);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Silo stopping: deactivating {ActivationCount} activations")]
    private static partial void LogStopping(ILogger logger, int activationCount);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Silo stop timed out with {ActivationCount} activations still deactivating")]
    private static partial void LogStopTimedOut(ILogger logger, int activationCount);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Silo stopped with {Count} calls unanswered; their callers get SiloUnavailableException")]
    private static partial void LogPendingCallsFailed(ILogger logger, int count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Collected {Count} idle activations")]
    private static partial void LogCollected(ILogger logger, int count);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Idle collection failed")]
    private static partial void LogCollectionFailed(ILogger logger, Exception exception);
}
