namespace Grains.Cluster;

/// <summary>This process's silo in the cluster: its address once it has joined, and whether it takes new activations.</summary>
public sealed class LocalSilo
{
    private SiloAddress? _address;
    private string _name = "";
    private volatile bool _acceptsActivations;

    /// <summary>The silo's address; set when it joins.</summary>
    public SiloAddress Address => _address ?? throw new InvalidOperationException("The silo has not joined the cluster yet.");

    public bool HasJoined => _address is not null;

    /// <summary>False before the silo is Active and from the moment it starts to leave or is declared dead.</summary>
    public bool AcceptsActivations => _acceptsActivations;

    /// <summary>The address as carried in message headers; empty before joining. Kept, as every call sends it.</summary>
    public string Name => _name;

    internal void SetAddress(SiloAddress address)
    {
        _name = address.ToString();
        _address = address;
    }

    internal void SetAcceptsActivations(bool value) => _acceptsActivations = value;

    public bool Is(SiloAddress? silo) => _address is not null && silo == _address;
}
