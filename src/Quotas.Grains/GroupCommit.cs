namespace Quotas.Grains;

/// <summary>
/// Group commit for a reentrant grain whose whole state is written at once. A call changes the in-memory state in one
/// synchronous step, then awaits <see cref="PersistAsync"/>: the first such call starts a write; the calls that change
/// the state while that write runs share the next one. Each caller is answered only after a write that began after its
/// change has succeeded, so an acknowledgement always refers to stored state.
/// </summary>
/// <remarks>
/// When a write fails, <c>restore</c> puts memory back to the last stored state and every caller whose change is
/// thereby lost (the failing batch and any batch queued behind it) gets the exception. A <c>restore</c> that throws
/// leaves memory in no known state: its owner must deactivate; the callers are answered all the same. Runs on the grain's turn-based
/// executor, so no locks are needed.
/// </remarks>
internal sealed class GroupCommit(Func<Task> write, Action restore)
{
    private TaskCompletionSource? _next;

    /// <summary>The batch whose write is running; null between writes.</summary>
    private TaskCompletionSource? _writing;
    private Task? _running;

    /// <summary>Completes when a write that includes the caller's change has been stored.</summary>
    public Task PersistAsync()
    {
        var batch = _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running ??= RunAsync();
        return batch.Task;
    }

    /// <summary>
    /// Completes once every change made so far is stored, for a call that changed nothing but answers from state a
    /// write may still be storing (a retried submission finding the job a first one created): at once when no write
    /// runs or waits, else with the write that carries the last change, failing as the changes it answers from are
    /// lost. Starts no write of its own.
    /// </summary>
    public Task SettledAsync() => (_next ?? _writing)?.Task ?? Task.CompletedTask;

    /// <summary>Waits until no write is running (before an operation that must not overlap a write, such as a clear).</summary>
    public async Task DrainAsync()
    {
        while (_running is { } running)
        {
            await running;
        }
    }

    private async Task RunAsync()
    {
        try
        {
            // Yield once so that the calls already queued on the activation join the first batch.
            await Task.Yield();
            while (_next is { } batch)
            {
                (_writing, _next) = (batch, null);
                try
                {
                    await write();
                    batch.TrySetResult();
                }
                catch (Exception exception)
                {
                    var lost = _next;
                    _next = null;
                    try
                    {
                        restore();
                    }
                    finally
                    {
                        // Answered even when memory could not be put back (the owner then deactivates): a caller left
                        // waiting would hold the activation forever.
                        batch.TrySetException(exception);
                        lost?.TrySetException(exception);
                    }
                }
            }
        }
        finally
        {
            (_writing, _running) = (null, null);
        }
    }
}
