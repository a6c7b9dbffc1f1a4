namespace Grains.Hosting;

/// <summary>Where a silo is in its life.</summary>
public enum SiloStatus
{
    Created,
    Starting,
    Active,
    Stopping,
    Stopped,
}
