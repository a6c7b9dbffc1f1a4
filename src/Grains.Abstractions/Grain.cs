using Grains.CodeGeneration;
using Grains.Timers;

namespace Grains;

/// <summary>
/// Base class of every grain implementation. The runtime constructs grains, so a derived class declares one public
/// constructor whose parameters come from dependency injection or carry <see cref="PersistentStateAttribute"/>.
/// </summary>
public abstract class Grain
{
    /// <summary>Used by the runtime: picks up the activation being created on this thread.</summary>
    protected Grain()
        : this(GrainConstructionScope.Current ?? throw new InvalidOperationException(
            "A grain is created by the Grains runtime. Get a reference with IGrainFactory.GetGrain<T>(key) instead of calling its constructor."))
    {
    }

    /// <summary>Lets tests construct a grain directly with a context of their own.</summary>
    protected Grain(IGrainContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        GrainContext = context;
    }

    public IGrainContext GrainContext { get; }

    public GrainId GrainId => GrainContext.GrainId;

    protected IGrainFactory GrainFactory => GrainContext.GrainFactory;

    public string GetPrimaryKeyString() => GrainId.Key;

    public Guid GetPrimaryKey() => GrainKey.ParseGuid(GrainId);

    public long GetPrimaryKeyLong() => GrainKey.ParseLong(GrainId);

    /// <summary>Runs once, after persistent state has been read and before the first call is delivered.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs once when the activation is collected, asked to deactivate, or its silo shuts down.</summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Keeps idle collection from taking this activation for at least <paramref name="timeSpan"/> (see <see cref="IGrainContext.DelayDeactivation"/>).</summary>
    protected void DelayDeactivation(TimeSpan timeSpan) => GrainContext.DelayDeactivation(timeSpan);

    /// <summary>Deactivates this activation after the current call; the next call activates it afresh.</summary>
    protected void DeactivateOnIdle() =>
        GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "The grain called DeactivateOnIdle."));

    /// <summary>Registers a timer whose callback runs as a turn of this activation (never concurrently with a non-interleaving call).</summary>
    protected IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return GrainContext.RegisterTimer((s, ct) => callback((TState)s!, ct), state, options);
    }

    /// <summary>Registers a periodic timer with default options.</summary>
    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return GrainContext.RegisterTimer((_, ct) => callback(ct), null, new GrainTimerCreationOptions(dueTime, period));
    }
}
