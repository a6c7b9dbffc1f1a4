namespace Grains.Transport;

/// <summary>
/// Fault injection for tests of failure detection: an isolated silo neither answers nor sends probes, as if cut off
/// from the others. Never set in production; the default is healthy.
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
