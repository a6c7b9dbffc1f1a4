using System.Diagnostics.CodeAnalysis;

namespace Grains.Storage;

/// <summary>
/// One persistent state's writes: one at a time, and only while the activation that owns the state lives (see
/// <see cref="StorageFence"/>). One at a time because each write sends the ETag the one before stored: writes started
/// together (interleaved calls of a reentrant grain, a timer beside a call) would otherwise all send the same ETag,
/// and all but the first to land would conflict and deactivate the grain.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim holds nothing to dispose unless its AvailableWaitHandle is asked for, which this one never is.")]
internal sealed class StateWrites(GrainStateKey key, StorageFence fence)
{
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>Runs <paramref name="write"/> after the writes started before it, including what it does with their result.</summary>
    public async Task RunAsync(Func<CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        fence.Enter(key);
        try
        {
            await _one.WaitAsync(cancellationToken);
            try
            {
                await write(cancellationToken);
            }
            finally
            {
                _one.Release();
            }
        }
        finally
        {
            fence.Exit();
        }
    }
}
