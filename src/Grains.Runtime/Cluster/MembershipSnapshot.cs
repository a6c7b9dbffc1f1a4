using Grains.Placement;

namespace Grains.Cluster;

/// <summary>The membership table as read at one version, with the placement ring of its Active silos.</summary>
public sealed class MembershipSnapshot
{
    public MembershipSnapshot(long version, IReadOnlyList<MembershipEntry> entries)
    {
        Version = version;
        Entries = entries;
        ActiveSilos = entries.Where(e => e.Status == MembershipStatus.Active).Select(e => e.Silo).Order().ToArray();
        ActiveRing = new ConsistentHashRing(ActiveSilos);
        LeavingSilos = entries.Where(e => e.Status == MembershipStatus.ShuttingDown).Select(e => e.Silo).Order().ToArray();
        Ring = LeavingSilos.Count == 0 ? ActiveRing : new ConsistentHashRing(ActiveSilos.Concat(LeavingSilos));
    }

    public static MembershipSnapshot Empty { get; } = new(0, []);

    public long Version { get; }

    public IReadOnlyList<MembershipEntry> Entries { get; }

    public IReadOnlyList<SiloAddress> ActiveSilos { get; }

    /// <summary>ShuttingDown silos: leaving, and still holding their grains until they are Dead.</summary>
    public IReadOnlyList<SiloAddress> LeavingSilos { get; }

    /// <summary>
    /// Where calls are sent: Active and ShuttingDown silos. A leaving silo keeps its grains until it has deactivated
    /// them, then hands each one to its successor, so a grain is never active on both at once.
    /// </summary>
    public ConsistentHashRing Ring { get; }

    /// <summary>Active silos only: who keeps an activation, and who takes over a leaving silo's grains.</summary>
    public ConsistentHashRing ActiveRing { get; }

    public MembershipEntry? Find(SiloAddress silo) => Entries.FirstOrDefault(e => e.Silo == silo);

    public MembershipStatus? StatusOf(SiloAddress silo) => Find(silo)?.Status;

    /// <summary>
    /// The votes against <paramref name="entry"/> cast after <paramref name="since"/> (one per voter) by silos still in
    /// the cluster: Joining, Active or ShuttingDown. A vote by a silo since declared Dead, or whose row is gone, no longer
    /// counts: a silo cut off from the others votes against every silo it watches before it is voted out itself, and
    /// its votes must not add up with one missed ping of a healthy silo's watcher to declare that silo dead.
    /// </summary>
    public IReadOnlyList<Suspicion> LiveVotesAgainst(MembershipEntry entry, DateTimeOffset since) =>
        entry.FreshSuspicions(since).Where(vote => StatusOf(vote.By) is { } status && status != MembershipStatus.Dead).ToList();

    public override string ToString() =>
        $"v{Version}: {string.Join(", ", Entries.Select(e => $"{e.Silo} {e.Status}"))}";
}
