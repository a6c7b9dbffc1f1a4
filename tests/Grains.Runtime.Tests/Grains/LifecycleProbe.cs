using System.Collections.Concurrent;

namespace Grains.Runtime.Tests.Grains;

/// <summary>A singleton the test grains report their life cycle to, so tests can wait for events instead of sleeping.</summary>
public sealed class LifecycleProbe
{
    private readonly ConcurrentDictionary<string, int> _activations = new();
    private readonly ConcurrentQueue<(string GrainKey, DeactivationReason Reason)> _deactivations = new();
    private readonly ConcurrentQueue<string> _events = new();
    private readonly object _lock = new();
    private readonly List<(Func<bool> Condition, TaskCompletionSource Signal)> _waiters = [];

    public int ActivationsOf(string key) => _activations.GetValueOrDefault(key);

    public IReadOnlyCollection<(string GrainKey, DeactivationReason Reason)> Deactivations => _deactivations;

    public IReadOnlyCollection<string> Events => _events;

    public void Activated(string key)
    {
        _activations.AddOrUpdate(key, 1, (_, n) => n + 1);
        Changed();
    }

    public void Deactivated(string key, DeactivationReason reason)
    {
        _deactivations.Enqueue((key, reason));
        Changed();
    }

    public void Record(string @event)
    {
        _events.Enqueue(@event);
        Changed();
    }

    /// <summary>Completes when the condition holds; fails the test after the deadline instead of hanging.</summary>
    public Task WaitUntilAsync(Func<bool> condition, TimeSpan? deadline = null)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (condition())
            {
                return Task.CompletedTask;
            }

            _waiters.Add((condition, signal));
        }

        return signal.Task.WaitAsync(deadline ?? TimeSpan.FromSeconds(30));
    }

    private void Changed()
    {
        lock (_lock)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition())
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
