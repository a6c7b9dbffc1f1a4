using Grains.CodeGeneration;
using Grains.Timers;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Activation;

internal sealed partial class ActivationData
{
    /// <summary>
    /// Executor: constructs the grain, reads its state, runs OnActivateAsync, then starts parked calls. An activation
    /// that does not end within <see cref="GrainsOptions.ActivationTimeout"/> fails, even one whose hook ignores its
    /// token: a state read or hook that hangs would otherwise hold every later call to the grain until the silo stops.
    /// </summary>
    private async Task ActivateAsync()
    {
        var timeout = _shared.Options.ActivationTimeout;
        using var deadline = new CancellationTokenSource(timeout, _shared.Time);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_shared.Stopping.Token, deadline.Token);
        var activation = ReadAndActivateAsync(cancellation.Token);
        try
        {
            // Not cut short by the silo's stop: the read and the hook see that in their token, and end.
            await activation.WaitAsync(deadline.Token);
        }
        catch (Exception exception)
        {
            // Whatever the read or the hook threw once the deadline passed (its token cancelled a command, say), the
            // cause is the deadline. A hook still running goes on unawaited: the storage fence refuses its writes,
            // and it may register no timer; its services are kept until it ends.
            var timedOut = deadline.IsCancellationRequested && !_shared.Stopping.IsCancellationRequested;
            await FailActivationAsync(timedOut ? new GrainActivationTimeoutException(GrainId, timeout) : exception, activation);
            return;
        }

        State = ActivationState.Valid;
        LogActivated(_shared.Logger, GrainId);
        if (_deactivationRequest is { } request)
        {
            BeginDeactivation(request);
        }
        else
        {
            StartParked();
        }

        ReleaseQuietWaiters();
    }

    private async Task ReadAndActivateAsync(CancellationToken cancellationToken)
    {
        _scope = _shared.Services.CreateAsyncScope();
        var context = new GrainActivationContext(this, _class, _shared);
        using (GrainConstructionScope.Enter(this))
        {
            _grain = _class.Activate(context);
        }

        foreach (var state in _states)
        {
            await state.ReadStateAsync(cancellationToken);
        }

        await _grain.OnActivateAsync(cancellationToken);
    }

    /// <param name="exception">Why the activation failed; what its queued calls fail with.</param>
    /// <param name="activation">The read and the hook: still running when they outlived the activation timeout.</param>
    private async Task FailActivationAsync(Exception exception, Task activation)
    {
        // Refuses timers a hook still running would register now: they would keep the failed activation alive.
        State = ActivationState.Deactivating;

        // Cut short by the silo's stop (its state read or OnActivateAsync saw the token): not the grain's failure. Its
        // calls go where the grain is activated next, the successor silo, as a deactivation hands its calls on.
        var stopped = exception is OperationCanceledException && _shared.Stopping.IsCancellationRequested;
        if (!stopped)
        {
            LogActivationFailed(_shared.Logger, exception, GrainId);
            _activationFailure = exception;
        }

        await CloseStorageAsync(); // OnActivateAsync may have left a write running
        State = ActivationState.Invalid;
        DisposeTimers(); // registered by OnActivateAsync before it failed: they would keep the failed grain in memory
        var parked = TakeAllParked();
        _directory.Remove(this);
        if (activation.IsCompleted)
        {
            await DisposeScopeAsync();
        }
        else
        {
            _ = DisposeScopeWhenEndedAsync(activation);
        }

        // Every queued caller learns why, or, on a stop, is routed again; the next call tries a fresh activation.
        foreach (var call in parked)
        {
            if (stopped)
            {
                Reroute(call);
            }
            else
            {
                call.Fail(exception);
            }
        }

        _deactivated.TrySetResult();
        ReleaseQuietWaiters();
    }

    /// <summary>A read or hook that outlived the activation timeout keeps its services until it ends, and its error is logged then.</summary>
    private async Task DisposeScopeWhenEndedAsync(Task activation)
    {
        try
        {
            await activation;
        }
        catch (Exception exception)
        {
            LogAbandonedActivationFailed(_shared.Logger, exception, GrainId);
        }

        await DisposeScopeAsync();
    }

    private void DisposeTimers()
    {
        GrainTimer[] timers;
        lock (_timers)
        {
            timers = [.. _timers];
        }

        foreach (var timer in timers)
        {
            timer.Dispose();
        }
    }

    // Executor.
    private void BeginDeactivation(DeactivationReason reason)
    {
        State = ActivationState.Deactivating;
        _ = DeactivateAsync(reason);
    }

    /// <summary>Executor, once no call runs: stops timers, runs the hook, leaves the directory, re-routes parked calls.</summary>
    private async Task DeactivateAsync(DeactivationReason reason)
    {
        LogDeactivating(_shared.Logger, GrainId, reason);
        DisposeTimers();

        var timeout = _shared.Options.DeactivationTimeout;
        using (var cancellation = new CancellationTokenSource(timeout, _shared.Time))
        {
            try
            {
                await _grain!.OnDeactivateAsync(reason, cancellation.Token).WaitAsync(timeout, _shared.Time);
            }
            catch (Exception exception)
            {
                LogDeactivationHookFailed(_shared.Logger, exception, GrainId);
            }
        }

        await CloseStorageAsync();
        State = ActivationState.Invalid;
        var parked = TakeAllParked();
        _directory.Remove(this);
        foreach (var call in parked)
        {
            Reroute(call);
        }

        // Its services are disposed once it has left the directory: a disposal that hangs (a connection that does not
        // close) holds no call, and the next call activates the grain afresh meanwhile. A stop still waits for it.
        await DisposeScopeAsync();
        _deactivated.TrySetResult();
        ReleaseQuietWaiters();
    }

    /// <summary>
    /// Executor, as the activation ends: refuses its later state writes, and keeps it in the directory (its calls wait)
    /// until the writes already started have ended, up to <see cref="GrainsOptions.DeactivationTimeout"/>, so that the
    /// next activation reads what they stored. A hook that ran past the timeout is still running: it may have a write
    /// under way, and it can start no other.
    /// </summary>
    private async Task CloseStorageAsync()
    {
        var writes = StorageFence.CloseAsync();
        if (writes.IsCompleted)
        {
            return;
        }

        LogWaitingForWrites(_shared.Logger, GrainId, StorageFence.InFlight);
        try
        {
            await writes.WaitAsync(_shared.Options.DeactivationTimeout, _shared.Time);
        }
        catch (TimeoutException)
        {
            LogWritesOutlivedActivation(_shared.Logger, GrainId, StorageFence.InFlight);
        }
    }

    private async Task DisposeScopeAsync()
    {
        try
        {
            await _scope.DisposeAsync();
        }
        catch (Exception exception)
        {
            LogDeactivationHookFailed(_shared.Logger, exception, GrainId);
        }
        finally
        {
            _scopeDisposed.TrySetResult();
            _directory.Disposed(this);
        }
    }
}
