using System.Collections.Concurrent;
using Grains.CodeGeneration;
using Grains.Manifest;
using Grains.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Activation;

/// <summary>The silo's live activations by grain id: at most one per grain, created on the first call.</summary>
internal sealed class ActivationDirectory
{
    private readonly ConcurrentDictionary<GrainId, ActivationData> _activations = new();
    private readonly ConcurrentDictionary<ActivationData, byte> _disposing = new();
    private readonly GrainTypeRegistry _registry;
    private volatile bool _accepting = true;
    private ICallRouter? _router;

    public ActivationDirectory(
        GrainTypeRegistry registry,
        IServiceProvider services,
        TimeProvider time,
        IOptions<GrainsOptions> options,
        ILogger<ActivationDirectory> logger)
    {
        _registry = registry;
        Shared = new ActivationShared(services, time, options.Value, logger);
    }

    public ActivationShared Shared { get; }

    public int Count => _activations.Count;

    public IEnumerable<ActivationData> Activations => _activations.Values;

    /// <summary>Counts by grain type; enumerates without locking, so the figures are a moment's, not a snapshot's.</summary>
    public Dictionary<string, int> CountByType()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, _) in _activations)
        {
            counts[id.Type] = counts.GetValueOrDefault(id.Type) + 1;
        }

        return counts;
    }

    /// <summary>Hands a call to the grain's activation, creating the activation when there is none.</summary>
    public void Deliver(GrainId target, GrainCall call)
    {
        if (!TryDeliver(target, call, allowNewActivation: true))
        {
            call.Fail(new SiloUnavailableException(
                $"The silo is shutting down; the call {call.Method.DisplayName} to grain {target} was not delivered. Retry against a running silo."));
        }
    }

    public bool HasActivation(GrainId target) => _activations.ContainsKey(target);

    /// <summary>Completes when the grain's present activation has left the directory; at once when it has none.</summary>
    public Task Gone(GrainId target) => _activations.TryGetValue(target, out var activation) ? activation.Deactivated : Task.CompletedTask;

    /// <summary>Deactivates the grain's present activation and completes once it is gone; at once when it has none.</summary>
    public Task Deactivate(GrainId target) =>
        Deactivate(target, new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "The silo was asked to deactivate this grain."));

    /// <inheritdoc cref="Deactivate(GrainId)"/>
    public Task Deactivate(GrainId target, DeactivationReason reason)
    {
        if (!_activations.TryGetValue(target, out var activation))
        {
            return Task.CompletedTask;
        }

        activation.Deactivate(reason);
        return activation.Deactivated;
    }

    /// <summary>Completes when the grain's present activation has no call running or waiting; at once when it has none.</summary>
    public Task Quiet(GrainId target) => _activations.TryGetValue(target, out var activation) ? activation.QuietAsync() : Task.CompletedTask;

    /// <summary>
    /// Hands a call to the grain's activation; creates one only when allowed and the silo still accepts activations.
    /// False when the call was not taken (the caller sends it elsewhere).
    /// </summary>
    public bool TryDeliver(GrainId target, GrainCall call, bool allowNewActivation)
    {
        while (true)
        {
            if (!_activations.TryGetValue(target, out var activation))
            {
                if (!_accepting || !allowNewActivation)
                {
                    return false;
                }

                if (!_registry.TryGetClass(target.Type, out var grainClass))
                {
                    call.Fail(new InvalidOperationException($"No grain class has the grain type '{target.Type}' in this silo."));
                    return true;
                }

                activation = _activations.GetOrAdd(target, static (id, state) => new ActivationData(id, state.grainClass, state.directory.Shared, state.directory), (grainClass, directory: this));
            }

            if (activation.TryEnqueue(call))
            {
                return true;
            }

            // The activation ended between lookup and enqueue; make sure it is gone and try again.
            Remove(activation);
        }
    }

    /// <summary>Routes a call that reached an ended activation: locally, or to whichever silo now owns the grain.</summary>
    public void Reroute(GrainId target, GrainCall call)
    {
        _router ??= Shared.Services.GetRequiredService<ICallRouter>();
        _router.Route(target, call);
    }

    /// <summary>
    /// Takes an ending activation out of the directory while its services are still to be disposed (its calls go to a
    /// new activation meanwhile); <see cref="DeactivateAllAsync"/> waits for it until its <see cref="ActivationData.ScopeDisposed"/>
    /// (also a failed activation whose hook outlived the activation timeout, which keeps its services until it ends).
    /// </summary>
    public void Remove(ActivationData activation)
    {
        _disposing.TryAdd(activation, 0);
        _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(activation.GrainId, activation));
    }

    /// <summary>An activation taken out by <see cref="Remove"/> whose services are disposed.</summary>
    public void Disposed(ActivationData activation) => _disposing.TryRemove(activation, out _);

    /// <summary>From now on no activation is created; calls for grains not active here fail as unavailable.</summary>
    public void StopAccepting() => _accepting = false;

    /// <summary>
    /// Deactivates every activation and waits for their hooks, up to the cancellation. Called after
    /// <see cref="StopAccepting"/>; a call that found the silo still accepting just before may add an activation after
    /// the first round took its list, so rounds go on until none is left.
    /// </summary>
    public async Task DeactivateAllAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        while (_activations.Values.ToArray() is { Length: > 0 } all)
        {
            foreach (var activation in all)
            {
                activation.Deactivate(reason);
            }

            await Task.WhenAll(all.Select(a => a.Deactivated)).WaitAsync(cancellationToken);
        }

        // Also those that left before and are still disposing their services: the host disposes its own after this.
        await Task.WhenAll(_disposing.Keys.Select(a => a.ScopeDisposed)).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Deactivates activations idle for at least <paramref name="age"/> and waits for them; returns how many. Also waits
    /// for those another collection (the silo's own, as the clock moves) was deactivating meanwhile, so that none idle
    /// that long is left when it returns.
    /// </summary>
    public async Task<int> CollectIdleAsync(TimeSpan age, CancellationToken cancellationToken)
    {
        var time = Shared.Time;
        var idleSince = Timestamps.Add(time.GetTimestamp(), -age, time.TimestampFrequency);
        var candidates = _activations.Values.ToArray();
        var decisions = await Task.WhenAll(candidates.Select(a => a.CollectIfIdleAsync(idleSince))).WaitAsync(cancellationToken);
        var collected = candidates.Where((_, i) => decisions[i]).ToArray();
        var ending = candidates.Where((a, i) => !decisions[i] && a.State is ActivationState.Deactivating or ActivationState.Invalid);
        await Task.WhenAll(collected.Concat(ending).Select(a => a.Deactivated)).WaitAsync(cancellationToken);
        return collected.Length;
    }
}
