namespace Grains.Cluster;

/// <summary>A vote that <see cref="By"/> could not reach the silo at <see cref="At"/>.</summary>
public readonly record struct Suspicion(SiloAddress By, DateTimeOffset At);

/// <summary>
/// One silo's row in the membership table. <see cref="Etag"/> guards updates of this row. <see cref="Activations"/> is
/// the silo's activation count as of its last heartbeat (<see cref="IAmAliveTime"/>); null before its first one.
/// </summary>
public sealed record MembershipEntry(
    SiloAddress Silo,
    string SiloName,
    MembershipStatus Status,
    DateTimeOffset StartTime,
    DateTimeOffset IAmAliveTime,
    IReadOnlyList<Suspicion> Suspicions,
    string? Etag = null,
    int? Activations = null)
{
    /// <summary>Votes cast after <paramref name="since"/>, one per voter.</summary>
    public IReadOnlyList<Suspicion> FreshSuspicions(DateTimeOffset since) =>
        Suspicions.Where(s => s.At > since).GroupBy(s => s.By).Select(g => g.MaxBy(s => s.At)).ToList();
}
