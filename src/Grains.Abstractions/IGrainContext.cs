using Grains.Timers;

namespace Grains;

/// <summary>What a grain sees of its activation: identity, services, timers and the way to end itself.</summary>
public interface IGrainContext
{
    GrainId GrainId { get; }

    IGrainFactory GrainFactory { get; }

    /// <summary>The per-activation service scope the grain was constructed from.</summary>
    IServiceProvider ActivationServices { get; }

    /// <summary>Asks the runtime to deactivate this activation once the calls now running have finished.</summary>
    void Deactivate(DeactivationReason reason);

    /// <summary>Registers a timer whose callbacks run as turns of this activation.</summary>
    IGrainTimer RegisterTimer(Func<object?, CancellationToken, Task> callback, object? state, GrainTimerCreationOptions options);
}
