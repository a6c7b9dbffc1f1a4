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

    /// <summary>
    /// Keeps idle collection from taking this activation for at least <paramref name="timeSpan"/> from now (a later
    /// time already asked for stays): for a grain whose memory holds what its storage does not, such as rate windows.
    /// Zero or less changes nothing. Other deactivations (a silo's shutdown, <see cref="Deactivate"/>) are not delayed.
    /// </summary>
    void DelayDeactivation(TimeSpan timeSpan);

    /// <summary>Registers a timer whose callbacks run as turns of this activation.</summary>
    IGrainTimer RegisterTimer(Func<object?, CancellationToken, Task> callback, object? state, GrainTimerCreationOptions options);
}
