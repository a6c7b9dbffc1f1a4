using Grains.Cluster.TestGrains;
using Grains.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Cluster.Tests;

public sealed class FailureDetectionTests
{
    [Fact]
    public async Task Silo_cut_off_from_the_others_is_voted_dead_and_stops_itself()
    {
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(new ActivationLedger(), 3));
        var isolated = cluster.Silos[0];
        var address = isolated.Address;

        isolated.NetworkFaults.Isolated = true;
        await isolated.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        await cluster.WaitForStableMembershipAsync();

        Assert.Equal(2, cluster.Silos.Count);
        var view = cluster.Silos[0].Membership;
        Assert.Equal(MembershipStatus.Dead, view.StatusOf(address));
        Assert.True(view.Find(address)!.Suspicions.Count >= 2, "two survivors voted");
    }

    [Fact]
    public async Task Silo_that_dies_while_leaving_is_voted_dead_and_its_grains_come_back()
    {
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(new ActivationLedger(), 3));
        await using var client = await cluster.CreateClientAsync();
        var leaving = cluster.Silos[2];
        var address = leaving.Address;
        var keys = Enumerable.Range(0, 30).Select(i => $"leaving-{i}").ToList();
        foreach (var key in keys)
        {
            await client.GrainFactory.GetGrain<IPlacedGrain>(key).Add(1);
        }

        // The silo begins to leave (its row says ShuttingDown, and it keeps its grains), then dies before its row
        // says Dead: a process killed during its departure, or one whose departure outlasted its shutdown timeout.
        await leaving.Services.GetRequiredService<ClusterParticipation>().BeginLeaveAsync(CancellationToken.None);
        await cluster.Silos[0].RefreshMembershipAsync();
        Assert.Equal(MembershipStatus.ShuttingDown, cluster.Silos[0].Membership.StatusOf(address));
        await leaving.KillAsync();

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await cluster.Silos[0].Silo.MembershipView!.WaitForAsync(view => view.StatusOf(address) == MembershipStatus.Dead, deadline.Token);

        foreach (var key in keys)
        {
            Assert.Equal(2, await client.GrainFactory.GetGrain<IPlacedGrain>(key).Add(1));
        }
    }

    /// <summary>
    /// Two of three silos die together: no one is left to add a second vote, so the survivor declares them dead alone
    /// once their heartbeats have stopped, and serves their grains.
    /// </summary>
    [Fact]
    public async Task The_last_silo_standing_declares_the_others_dead_alone_once_their_heartbeats_stop()
    {
        var options = Clusters.Options(new ActivationLedger(), 3);
        options.ConfigureMembership = membership => membership.IAmAliveInterval = TimeSpan.FromSeconds(1);
        await using var cluster = await TestCluster.StartAsync(options);
        await using var client = await cluster.CreateClientAsync();
        var survivor = cluster.Silos[0];
        var dead = cluster.Silos.Skip(1).Select(silo => silo.Address).ToList();
        var keys = Enumerable.Range(0, 30).Select(i => $"survived-{i}").ToList();
        foreach (var key in keys)
        {
            await client.GrainFactory.GetGrain<IPlacedGrain>(key).Add(1);
        }

        foreach (var silo in cluster.Silos.Skip(1).ToList())
        {
            await cluster.KillSiloAsync(silo);
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await survivor.Silo.MembershipView!.WaitForAsync(view => dead.All(silo => view.StatusOf(silo) == MembershipStatus.Dead), deadline.Token);

        Assert.All(dead, silo => Assert.Single(survivor.Membership.Find(silo)!.Suspicions));
        foreach (var key in keys)
        {
            Assert.Equal(2, await client.GrainFactory.GetGrain<IPlacedGrain>(key).Add(1));
        }
    }

    /// <summary>
    /// The membership table cannot be reached for the first writes of a graceful stop: the silo tries again, announces
    /// its departure and hands its grains off, rather than drop them and wait to be voted dead.
    /// </summary>
    [Fact]
    public async Task A_silo_stopping_while_the_membership_table_blips_still_leaves_gracefully()
    {
        var options = Clusters.Options(new ActivationLedger(), 2);
        var configure = options.ConfigureServices;
        options.ConfigureServices = services =>
        {
            configure?.Invoke(services);
            FlakyMembershipTable.Install(services);
        };
        await using var cluster = await TestCluster.StartAsync(options);
        await using var client = await cluster.CreateClientAsync();
        var keys = Enumerable.Range(0, 30).Select(i => $"blip-{i}").ToList();
        foreach (var key in keys)
        {
            await client.GrainFactory.GetGrain<IPlacedGrain>(key).Add(1);
        }

        var leaving = cluster.Silos[1];
        var address = leaving.Address;
        leaving.Services.GetRequiredService<FlakyMembershipTable>().FailNextWrites(3);
        await cluster.StopSiloAsync(leaving);

        var view = cluster.Silos[0].Membership;
        await cluster.Silos[0].RefreshMembershipAsync();
        Assert.Equal(MembershipStatus.Dead, view.StatusOf(address));
        Assert.Empty(view.Find(address)!.Suspicions); // announced, not voted
        foreach (var key in keys)
        {
            Assert.Equal(2, await client.GrainFactory.GetGrain<IPlacedGrain>(key).Add(1));
        }
    }

    [Fact]
    public async Task Membership_change_reaches_other_silos_through_notifications_without_polling()
    {
        var options = Clusters.Options(new ActivationLedger(), 2);
        options.ConfigureMembership = membership => membership.RefreshInterval = TimeSpan.FromHours(1);
        await using var cluster = await TestCluster.StartAsync(options);

        var added = await cluster.StartAdditionalSiloAsync();

        await cluster.WaitForStableMembershipAsync(TimeSpan.FromSeconds(10));
        Assert.All(cluster.Silos, silo => Assert.Contains(added.Address, silo.Membership.ActiveSilos));
    }

    /// <summary>
    /// Rows of silos long dead are deleted, and so are rows of silos that died while joining (never Active, so never
    /// probed): each crash-looping start would otherwise leave one more.
    /// </summary>
    [Fact]
    public async Task Rows_of_long_dead_silos_and_of_silos_that_died_joining_are_deleted()
    {
        var options = Clusters.Options(new ActivationLedger(), 2);
        options.ConfigureMembership = membership => membership.DefunctSiloExpiration = TimeSpan.FromSeconds(2);
        await using var cluster = await TestCluster.StartAsync(options);
        var survivor = cluster.Silos[0];
        var table = survivor.Silo.MembershipView!.Table;
        var joining = new SiloAddress("127.0.0.1", 1, 1);
        var longAgo = DateTimeOffset.UtcNow.AddHours(-1);
        Assert.True(await table.TryInsertAsync(
            new MembershipEntry(joining, "died-joining", MembershipStatus.Joining, longAgo, longAgo, []), (await table.ReadAsync(CancellationToken.None)).Version, CancellationToken.None));
        var stopped = cluster.Silos[1];
        var address = stopped.Address;

        await cluster.StopSiloAsync(stopped);

        // A cleanup moves the table's version on, so the survivor's view sees each deletion (notified, or at its next poll).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await survivor.Silo.MembershipView!.WaitForAsync(view => view.Find(address) is null && view.Find(joining) is null, deadline.Token);
    }

    /// <summary>
    /// The membership table is restored from a backup taken before the second silo joined: its version goes back and
    /// that silo's row is gone. The survivor's view follows the table back (it does not wait for the old version to come
    /// round again) and serves every grain; the silo without a row stops, as one voted out would.
    /// </summary>
    [Fact]
    public async Task A_membership_table_restored_from_before_a_silo_joined_is_followed_and_that_silo_stops()
    {
        var options = Clusters.Options(new ActivationLedger(), 2);
        await using var cluster = await TestCluster.StartAsync(options);
        await using var client = await cluster.CreateClientAsync();
        var survivor = cluster.Silos[0];
        var gone = cluster.Silos[1];
        var address = gone.Address;
        var keys = Enumerable.Range(0, 30).Select(i => $"restored-{i}").ToList();
        foreach (var key in keys)
        {
            await client.GrainFactory.GetGrain<IPlacedGrain>(key).Add(1);
        }

        var before = survivor.Membership.Version;
        await options.Storage.ExecuteAsync(
            "DELETE FROM grains_membership WHERE cluster_id = @cluster AND port = @port AND generation = @generation",
            ("cluster", options.ClusterId), ("port", address.Port), ("generation", address.Generation));
        await options.Storage.ExecuteAsync("UPDATE grains_membership_version SET version = 1 WHERE cluster_id = @cluster", ("cluster", options.ClusterId));

        await gone.Stopped.WaitAsync(TimeSpan.FromSeconds(30));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var view = await survivor.Silo.MembershipView!.WaitForAsync(view => view.Find(address) is null, deadline.Token);
        Assert.True(view.Version < before, $"the view went back with the table (from {before} to {view.Version})");
        foreach (var key in keys)
        {
            await client.GrainFactory.GetGrain<IPlacedGrain>(key).Add(1); // served: none is placed on the stopped silo
        }
    }

    /// <summary>
    /// A call that never returns holds a graceful stop until the host's shutdown time is up; the silo still announces
    /// its departure (Dead, with no vote against it) rather than leave its row ShuttingDown for the others to vote out.
    /// </summary>
    [Fact]
    public async Task A_silo_whose_stop_a_hung_call_holds_up_still_announces_itself_dead()
    {
        var ledger = new ActivationLedger();
        var options = Clusters.Options(ledger, 2);
        options.ShutdownTimeout = TimeSpan.FromSeconds(3);
        await using var cluster = await TestCluster.StartAsync(options);
        var leaving = cluster.Silos[1];
        var address = leaving.Address;
        var key = KeyPlacedOn(leaving, "hung");
        var hung = leaving.GrainFactory.GetGrain<IPlacedGrain>(key).Hold();
        await ledger.Entered(key);

        await cluster.StopSiloAsync(leaving);

        var survivor = cluster.Silos[0];
        await survivor.RefreshMembershipAsync();
        Assert.Equal(MembershipStatus.Dead, survivor.Membership.StatusOf(address));
        Assert.Empty(survivor.Membership.Find(address)!.Suspicions); // announced, not voted
        ledger.Release(key);
        await Record.ExceptionAsync(() => hung); // failed or answered: the call is no longer this test's concern
    }

    /// <summary>
    /// A gateway's call in flight to a silo that the cluster declares dead while its sockets stay open (cut off from
    /// the network, a host that lost power) fails as lost once the gateway's view says Dead, as silos' calls do, instead
    /// of waiting for its response timeout. The cut-off silo's stop is held up here (a call it runs never returns, and
    /// its shutdown timeout is long), so that only the gateway can end the call.
    /// </summary>
    [Fact]
    public async Task A_clients_call_to_a_silo_declared_dead_fails_as_lost_without_waiting_for_its_response_timeout()
    {
        var ledger = new ActivationLedger();
        var options = Clusters.Options(ledger, 3);
        options.ShutdownTimeout = TimeSpan.FromMinutes(5);
        await using var cluster = await TestCluster.StartAsync(options);
        await using var client = await cluster.CreateClientAsync();
        var cutOff = cluster.Silos[2];
        var key = KeyPlacedOn(cutOff, "cut-off");
        var held = client.GrainFactory.GetGrain<IPlacedGrain>(key).Hold();
        await ledger.Entered(key);

        cutOff.NetworkFaults.Isolated = true;

        var failure = await Record.ExceptionAsync(() => held.WaitAsync(TimeSpan.FromSeconds(60)));
        var stoppedFirst = cutOff.Stopped.IsCompleted;
        ledger.Release(key); // lets the cut-off silo's stop, and the cluster's disposal, go on

        Assert.IsType<GrainConnectionLostException>(failure);
        Assert.False(stoppedFirst, "the cut-off silo closed its connections itself");
    }

    /// <summary>A key, <paramref name="prefix"/> and a number, of a placed grain the ring puts on <paramref name="silo"/>.</summary>
    private static string KeyPlacedOn(TestSilo silo, string prefix) => Enumerable.Range(0, 200).Select(i => $"{prefix}-{i}")
        .First(k => silo.Membership.ActiveRing.GetOwner(GrainId.Create("placed", k)) == silo.Address);
}
