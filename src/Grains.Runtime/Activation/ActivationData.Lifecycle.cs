using Grains.CodeGeneration;
using Grains.Timers;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Activation;

internal sealed partial class ActivationData
{
    /// <summary>Runs on the executor: constructs the grain, reads its state, runs OnActivateAsync, then opens the mailbox.</summary>
    private async Task ActivateAsync()
    {
        try
        {
            _scope = _shared.Services.CreateAsyncScope();
            var context = new GrainActivationContext(this, _class, _shared);
            using (GrainConstructionScope.Enter(this))
            {
                _grain = _class.Activate(context);
            }

            foreach (var state in _states)
            {
                await state.ReadStateAsync(_shared.Stopping.Token);
            }

            await _grain.OnActivateAsync(_shared.Stopping.Token);
        }
        catch (Exception exception)
        {
            await FailActivationAsync(exception);
            return;
        }

        List<GrainCall>? toStart = null;
        DeactivationReason? deactivate = null;
        lock (_lock)
        {
            _state = ActivationState.Valid;
            if (_deactivationRequest is { } request)
            {
                _state = ActivationState.Deactivating;
                deactivate = request;
            }
            else
            {
                toStart = DequeueStartable();
            }
        }

        LogActivated(_shared.Logger, GrainId);
        if (deactivate is { } reason)
        {
            BeginDeactivation(reason);
        }

        StartAll(toStart);
    }

    private async Task FailActivationAsync(Exception exception)
    {
        LogActivationFailed(_shared.Logger, exception, GrainId);
        GrainCall[] waiting;
        lock (_lock)
        {
            _state = ActivationState.Invalid;
            waiting = TakeAllWaiting();
        }

        _directory.Remove(this);
        await DisposeScopeAsync();

        // Every queued caller learns why; the next call tries a fresh activation.
        foreach (var call in waiting)
        {
            call.Fail(exception);
        }

        _deactivated.TrySetResult();
    }

    private void BeginDeactivation(DeactivationReason reason) =>
        _executor.Post(static state =>
        {
            var (activation, reason) = ((ActivationData, DeactivationReason))state!;
            _ = activation.DeactivateAsync(reason);
        }, (this, reason));

    /// <summary>Runs on the executor once no call is running: stops timers, runs the hook, leaves the directory, re-routes queued calls.</summary>
    private async Task DeactivateAsync(DeactivationReason reason)
    {
        LogDeactivating(_shared.Logger, GrainId, reason);
        GrainTimer[] timers;
        lock (_lock)
        {
            timers = [.. _timers];
            _timers.Clear();
        }

        foreach (var timer in timers)
        {
            timer.Dispose();
        }

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

        await DisposeScopeAsync();
        GrainCall[] waiting;
        lock (_lock)
        {
            _state = ActivationState.Invalid;
            waiting = TakeAllWaiting();
        }

        _directory.Remove(this);
        _deactivated.TrySetResult();
        foreach (var call in waiting)
        {
            // A tick belongs to the timer of this activation, which is gone; calls go to the next activation.
            if (call is TimerTickCall)
            {
                call.Fail(new ObjectDisposedException(nameof(GrainTimer)));
            }
            else
            {
                _directory.Deliver(GrainId, call);
            }
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
    }
}
