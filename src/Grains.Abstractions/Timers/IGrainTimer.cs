namespace Grains.Timers;

/// <summary>A timer owned by an activation. Disposing it stops future ticks; it is disposed with the activation.</summary>
public interface IGrainTimer : IDisposable
{
    void Change(TimeSpan dueTime, TimeSpan period);
}
