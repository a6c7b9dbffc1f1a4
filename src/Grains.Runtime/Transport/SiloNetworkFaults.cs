namespace Grains.Transport;

/// <summary>
/// Fault injection for tests of failure detection: an isolated silo neither answers probes nor sends them, and its
/// replies to calls are lost on the way, as if cut off from the others (a probe counts any frame that arrives as an
/// answer). Never set in production; the default is healthy.
/// </summary>
public sealed class SiloNetworkFaults
{
    private volatile bool _isolated;

    public bool Isolated
    {
        get => _isolated;
        set => _isolated = value;
    }
}
