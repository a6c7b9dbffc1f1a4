using Grains.Cluster;

namespace Grains.Runtime.Tests;

public sealed class MembershipSnapshotTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Votes against a silo count only while their voters are still in the cluster: a voter since declared Dead (a silo
    /// that was cut off and voted against everyone it watched) or whose row is gone no longer adds to a declaration.
    /// Stale votes stay out as before.
    /// </summary>
    [Fact]
    public void Votes_of_silos_declared_dead_or_gone_no_longer_count()
    {
        var target = Silo(1);
        var active = Silo(2);
        var leaving = Silo(3);
        var dead = Silo(4);
        var gone = Silo(5);
        var stale = Silo(6);
        var suspected = Entry(target, MembershipStatus.Active) with
        {
            Suspicions =
            [
                new Suspicion(active, s_now.AddSeconds(-5)),
                new Suspicion(leaving, s_now.AddSeconds(-4)),
                new Suspicion(dead, s_now.AddSeconds(-3)),
                new Suspicion(gone, s_now.AddSeconds(-2)),
                new Suspicion(stale, s_now.AddMinutes(-5)),
            ],
        };
        var snapshot = new MembershipSnapshot(9,
        [
            suspected,
            Entry(active, MembershipStatus.Active),
            Entry(leaving, MembershipStatus.ShuttingDown),
            Entry(dead, MembershipStatus.Dead),
            Entry(stale, MembershipStatus.Active),
        ]);

        var votes = snapshot.LiveVotesAgainst(suspected, s_now.AddMinutes(-1));

        Assert.Equal([active, leaving], votes.Select(vote => vote.By));
    }

    private static SiloAddress Silo(int port) => new("10.0.0.1", port, 1);

    private static MembershipEntry Entry(SiloAddress silo, MembershipStatus status) =>
        new(silo, $"silo-{silo.Port}", status, s_now.AddHours(-1), s_now, []);
}
