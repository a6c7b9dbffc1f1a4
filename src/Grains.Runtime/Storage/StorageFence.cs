namespace Grains.Storage;

/// <summary>
/// Lets one activation's state writes through until the activation ends, and lets its end wait for the writes already
/// started. A deactivation hook that outlives <see cref="GrainsOptions.DeactivationTimeout"/> goes on running after
/// its activation has left the silo, beside the grain's next activation: unfenced, a write it started late would land
/// on the state the next activation has just read, and that activation's own writes would then conflict.
/// </summary>
internal sealed class StorageFence
{
    private readonly object _lock = new();
    private readonly GrainId _grainId;
    private int _inFlight;
    private bool _closed;
    private TaskCompletionSource? _drained;

    public StorageFence(GrainId grainId) => _grainId = grainId;

    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>Counts a write that starts now; throws once the activation has ended. Pair with <see cref="Exit"/>.</summary>
    public void Enter(GrainStateKey key)
    {
        lock (_lock)
        {
            if (_closed)
            {
                throw new InvalidOperationException(
                    $"The write of {key} was refused: the activation of grain {_grainId} that made it has ended (deactivated, or its " +
                    "deactivation hook ran past Grains:DeactivationTimeout), and the grain's next activation owns its state now. " +
                    "Write state from the grain's calls, timers or OnDeactivateAsync, and finish within the timeout.");
            }

            _inFlight++;
        }
    }

    /// <summary>A write counted by <see cref="Enter"/> has ended, however.</summary>
    public void Exit()
    {
        TaskCompletionSource? drained = null;
        lock (_lock)
        {
            if (--_inFlight == 0)
            {
                (drained, _drained) = (_drained, null);
            }
        }

        drained?.TrySetResult();
    }

    /// <summary>Refuses every later write; completes when the writes already started have ended.</summary>
    public Task CloseAsync()
    {
        lock (_lock)
        {
            _closed = true;
            if (_inFlight == 0)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }
}
