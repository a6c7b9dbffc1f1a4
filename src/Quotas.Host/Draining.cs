using System.Runtime.InteropServices;
using Grains.Hosting;

namespace Quotas.Host;

/// <summary>
/// The first step of a graceful stop: the process says it is no longer ready (<c>/health/ready</c> answers 503
/// "draining") and goes on serving for <see cref="HostSettings.DrainDelay"/>, so that a load balancer probing readiness
/// stops sending it requests before its listener closes; only then do the silo and the gateway stop. It runs on every
/// stop of the host (SIGTERM, SIGINT, a programmatic stop), except that a silo declared dead does not wait. Registered
/// after the silo, so its stopping step runs before the silo's (the host runs them in reverse order of registration).
/// </summary>
internal sealed partial class Draining(HostSettings settings, TimeProvider time, IServiceProvider services, ILogger<Draining> logger) : IHostedLifecycleService
{
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        var delay = settings.DrainDelay;
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        // A silo the cluster declared dead stops itself, and its grains may already live elsewhere: it hands off at once.
        if (services.GetService<Silo>()?.Cluster is { AcceptsActivations: false })
        {
            LogNotDraining(logger);
            return;
        }

        LogDraining(logger, delay);

        // The signal that started the stop came before this step: one more (a second Ctrl+C) ends the drain at once.
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => CutShort(context, cut));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => CutShort(context, cut));
        try
        {
            await Task.Delay(delay, time, cut.Token);
        }
        catch (OperationCanceledException)
        {
            // Cut short, or the host's shutdown timeout ran out first: stop now.
        }
    }

    private void CutShort(PosixSignalContext context, CancellationTokenSource cut)
    {
        // Handled here: the process goes on to stop gracefully, only without the rest of the drain.
        context.Cancel = true;
        LogCutShort(logger, context.Signal);
        cut.Cancel();
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Signal} while draining: the drain ends now and the process stops")]
    private static partial void LogCutShort(ILogger logger, PosixSignal signal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Not draining: the silo no longer takes activations (declared dead, or not yet joined); it stops at once")]
    private static partial void LogNotDraining(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: /health/ready answers 503 and requests are still served for {Delay}; then the process stops")]
    private static partial void LogDraining(ILogger logger, TimeSpan delay);
}
