namespace Quotas.Host;

/// <summary>
/// The first step of a graceful stop: the process says it is no longer ready (<c>/health/ready</c> answers 503
/// "draining") and goes on serving for <see cref="HostSettings.DrainDelay"/>, so that a load balancer probing readiness
/// stops sending it requests before its listener closes; only then do the silo and the gateway stop. Registered after
/// the silo, so its stopping step runs before the silo's (the host runs them in reverse order of registration).
/// </summary>
internal sealed partial class Draining(HostSettings settings, TimeProvider time, ILogger<Draining> logger) : IHostedLifecycleService
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

        LogDraining(logger, delay);
        try
        {
            await Task.Delay(delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: /health/ready answers 503 and requests are still served for {Delay}; then the process stops")]
    private static partial void LogDraining(ILogger logger, TimeSpan delay);
}
