using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Grains.AdoNet.Storage;

/// <summary>
/// Deletes a storage's expired records every <see cref="AdoNetGrainStorageOptions.ExpiredStateSweepInterval"/>, once
/// their <see cref="AdoNetGrainStorageOptions.ExpiredStateGracePeriod"/> has passed too. Every silo sweeps; the deletes
/// are idempotent, so two silos sweeping at once only repeat each other's work. A failed sweep is logged and retried
/// at the next interval.
/// </summary>
internal sealed partial class ExpiredStateSweeper(AdoNetGrainStorage storage, TimeProvider time, ILogger<ExpiredStateSweeper> logger) : BackgroundService
{
    /// <summary>Records per delete statement: small enough to keep each transaction short.</summary>
    public const int BatchSize = 1000;

    /// <summary>The storage this sweeper deletes from.</summary>
    public string StorageName => storage.Name;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = storage.Options.ExpiredStateSweepInterval;
        if (interval == TimeSpan.Zero || interval == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo is stopping.
        }
    }

    /// <summary>One sweep; returns how many records it deleted (0 when it failed).</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            var cutoff = time.GetUtcNow() - storage.Options.ExpiredStateGracePeriod;
            var deleted = await storage.DeleteExpiredAsync(cutoff, BatchSize, cancellationToken);
            if (deleted > 0)
            {
                LogSwept(deleted, storage.Name, cutoff);
            }

            return deleted;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Whatever went wrong, the silo keeps running: a background service that throws would stop the host.
            LogSweepFailed(exception, storage.Name, storage.Options.ExpiredStateSweepInterval);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} records of grain storage '{Storage}' that expired before {Cutoff:O}")]
    private partial void LogSwept(int count, string storage, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting the expired records of grain storage '{Storage}' failed; the next try is in {Interval}")]
    private partial void LogSweepFailed(Exception exception, string storage, TimeSpan interval);
}
