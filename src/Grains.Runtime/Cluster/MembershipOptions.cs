namespace Grains.Cluster;

/// <summary>Cluster membership and failure detection settings, bound from "Grains:Membership". Defaults on each property.</summary>
public sealed class MembershipOptions
{
    public const string SectionName = "Grains:Membership";

    /// <summary>Names the cluster; silos and clients of another cluster are refused at connect. Default "default".</summary>
    public string ClusterId { get; set; } = "default";

    /// <summary>How often a silo pings each silo it watches. Default 1 s.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a ping may take before it counts as missed. Default 1 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed pings in a row before the watcher votes the silo dead. Default 3.</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>How many other silos each silo watches. Default 3.</summary>
    public int ProbedSilos { get; set; } = 3;

    /// <summary>Fresh votes that declare a silo dead (capped at half, rounded up, of the Active silos that do not look dead too). Default 2.</summary>
    public int VotesForDeath { get; set; } = 2;

    /// <summary>How long a vote stays fresh. Default 60 s.</summary>
    public TimeSpan VoteExpiration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a silo writes its heartbeat to the table. Default 5 s.</summary>
    public TimeSpan IAmAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the table is read when no change notification arrives (polling fallback). Default 1 s.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a stopping silo keeps forwarding after announcing ShuttingDown, so every view catches up. Default 2 s.</summary>
    public TimeSpan ShutdownAnnouncementDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Rows of Dead silos, and of silos that never finished joining, older than this are deleted. Default 1 day.</summary>
    public TimeSpan DefunctSiloExpiration { get; set; } = TimeSpan.FromDays(1);
}
