namespace Quotas.Host;

/// <summary>
/// Runs a check for any number of callers at once, one run at a time: a caller that comes while a run is under way
/// waits for that run's answer instead of starting another. The readiness endpoint needs no key, so without this a
/// burst of probes would open a database connection each, enough to exhaust the server's connections for every silo.
/// A caller that comes after a run has ended starts a new one, so an answer is never older than the caller's request
/// by more than the run it shared.
/// </summary>
internal sealed class SharedCheck(Func<Task<string?>> check)
{
    private readonly Lock _lock = new();
    private Task<string?>? _running;

    /// <summary>The check's answer (null when all is well); <paramref name="cancellationToken"/> stops the wait, not the run others share.</summary>
    public Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        Task<string?> run;
        lock (_lock)
        {
            run = _running ??= RunAsync();
        }

        return run.WaitAsync(cancellationToken);
    }

    private async Task<string?> RunAsync()
    {
        // Yields first, so that the run is stored as the one under way before it can end and clear itself.
        await Task.Yield();
        try
        {
            return await check();
        }
        finally
        {
            lock (_lock)
            {
                _running = null;
            }
        }
    }
}
