using Grains.Cluster.TestGrains;
using Grains.Testing;

namespace Grains.Cluster.Tests;

/// <summary>
/// A caller that stops while its call runs elsewhere fails the call as one whose outcome is unknown
/// (<see cref="GrainConnectionLostException"/>): the callee may have run it, so it is no "did not run, retry" case
/// (a plain <see cref="SiloUnavailableException"/>), which callers such as the gateway's idempotency keys take as
/// free to run again.
/// </summary>
public sealed class StoppingCallerTests
{
    [Fact]
    public async Task A_client_that_stops_fails_its_call_in_flight_as_one_that_may_have_run()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 1));
        var client = await cluster.CreateClientAsync();
        var held = client.GrainFactory.GetGrain<IPlacedGrain>("held-by-client").Hold();
        await ledger.Entered("held-by-client").WaitAsync(TimeSpan.FromSeconds(30));

        await client.DisposeAsync();

        var error = await Assert.ThrowsAsync<GrainConnectionLostException>(() => held.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("may or may not have run", error.Message, StringComparison.Ordinal);
        ledger.Release("held-by-client");
    }

    [Fact]
    public async Task A_silo_that_stops_fails_its_call_in_flight_to_another_silo_as_one_that_may_have_run()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 2));
        var (caller, callee) = (cluster.Silos[0], cluster.Silos[1]);
        var key = Enumerable.Range(0, 200).Select(i => $"held-{i}")
            .First(k => caller.Membership.ActiveRing.GetOwner(GrainId.Create("placed", k)) == callee.Address);
        var held = caller.GrainFactory.GetGrain<IPlacedGrain>(key).Hold();
        await ledger.Entered(key).WaitAsync(TimeSpan.FromSeconds(30));

        await cluster.StopSiloAsync(caller);

        var error = await Assert.ThrowsAsync<GrainConnectionLostException>(() => held.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("may or may not have run", error.Message, StringComparison.Ordinal);
        ledger.Release(key);
    }

    /// <summary>
    /// A call the runtime retries after its connection was lost (an [Idempotent] one) and whose retries then reach no
    /// silo fails as one that may have run: it failed with the last retry's "cannot connect", which says it did not.
    /// </summary>
    [Fact]
    public async Task A_retried_call_whose_first_attempt_was_written_fails_as_one_that_may_have_run_when_no_retry_gets_through()
    {
        var ledger = new ActivationLedger();
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(ledger, 1));
        await using var client = await cluster.CreateClientAsync();
        var held = client.GrainFactory.GetGrain<IPlacedGrain>("held-then-lost").HoldRetryable();
        await ledger.Entered("held-then-lost").WaitAsync(TimeSpan.FromSeconds(30));

        await cluster.KillSiloAsync(cluster.PrimarySilo);

        var error = await Assert.ThrowsAsync<GrainConnectionLostException>(() => held.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("may or may not have run", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<SiloUnavailableException>(error.InnerException);
    }
}
