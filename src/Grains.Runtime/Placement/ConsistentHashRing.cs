using Grains.Cluster;

namespace Grains.Placement;

/// <summary>
/// Places grains on the Active silos of one membership version: each silo owns <see cref="VirtualNodesPerSilo"/>
/// points on a 64-bit ring, and a grain belongs to the first point at or after its hash. A silo joining or leaving
/// moves about 1/N of the grains. Immutable; every silo and client builds the same ring from the same silos.
/// </summary>
public sealed class ConsistentHashRing
{
    public const int VirtualNodesPerSilo = 256;

    private readonly ulong[] _points;
    private readonly SiloAddress[] _owners;

    public ConsistentHashRing(IEnumerable<SiloAddress> silos)
    {
        ArgumentNullException.ThrowIfNull(silos);
        Silos = silos.Distinct().Order().ToArray();
        var nodes = new List<(ulong Point, SiloAddress Silo)>(Silos.Count * VirtualNodesPerSilo);
        foreach (var silo in Silos)
        {
            var name = silo.ToString();
            for (var i = 0; i < VirtualNodesPerSilo; i++)
            {
                nodes.Add((StableHash.Of(name, i), silo));
            }
        }

        // Ties (astronomically unlikely) are broken by silo order so that every process agrees.
        nodes.Sort(static (a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Silo.CompareTo(b.Silo));
        _points = nodes.Select(n => n.Point).ToArray();
        _owners = nodes.Select(n => n.Silo).ToArray();
    }

    public static ConsistentHashRing Empty { get; } = new([]);

    public IReadOnlyList<SiloAddress> Silos { get; }

    public bool IsEmpty => _points.Length == 0;

    /// <summary>The silo that owns the grain, or null when no silo is Active.</summary>
    public SiloAddress? GetOwner(GrainId grainId)
    {
        if (_points.Length == 0)
        {
            return null;
        }

        var hash = StableHash.Of(grainId);
        var index = Array.BinarySearch(_points, hash);
        if (index < 0)
        {
            index = ~index;
        }

        return _owners[index == _points.Length ? 0 : index];
    }
}
