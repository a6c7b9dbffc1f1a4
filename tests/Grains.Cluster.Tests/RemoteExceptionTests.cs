using Grains.Cluster.TestGrains;
using Grains.Testing;

namespace Grains.Cluster.Tests;

public sealed class RemoteExceptionTests
{
    [Fact]
    public async Task An_exception_thrown_in_a_silo_reaches_a_client_with_its_type_message_and_code()
    {
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(new ActivationLedger(), 1));
        await using var client = await cluster.CreateClientAsync();
        var grain = client.GrainFactory.GetGrain<IPlacedGrain>("thrower");

        var plain = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Fail("plain failure"));
        var coded = await Assert.ThrowsAsync<CodedException>(() => grain.FailWithCode("unknown_tenant", "Tenant 'x' does not exist."));

        Assert.Equal("plain failure", plain.Message);
        Assert.Equal("unknown_tenant", coded.Code);
        Assert.Equal("Tenant 'x' does not exist.", coded.Message);
    }

    [Fact]
    public async Task A_result_that_cannot_be_sent_fails_the_call_at_once_and_the_silo_still_stops_gracefully()
    {
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(new ActivationLedger(), 1));
        await using var client = await cluster.CreateClientAsync();
        var grain = client.GrainFactory.GetGrain<IPlacedGrain>("unsendable");

        // Answered with the reason, not left to the caller's timeout.
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Unsendable());
        Assert.Contains("could not be sent", failure.Message, StringComparison.Ordinal);
        Assert.Contains("a faulty getter", failure.Message, StringComparison.Ordinal);

        // The call counts as answered: a graceful stop, which waits for every call in flight, ends.
        await cluster.Silos[0].StopAsync().WaitAsync(TimeSpan.FromMinutes(1));
    }

    /// <summary>
    /// An error that cannot be sent as it is (reading its code throws) reaches the caller at once as a plain error that
    /// names it; the caller waited for its timeout before, and the silo's count of calls in flight stayed up.
    /// </summary>
    [Fact]
    public async Task An_error_that_cannot_be_sent_fails_the_call_at_once_with_one_that_names_it()
    {
        var options = Clusters.Options(new ActivationLedger(), 1);
        options.ConfigureGrains = grains => grains.ResponseTimeout = TimeSpan.FromMinutes(5);
        await using var cluster = await TestCluster.StartAsync(options);
        await using var client = await cluster.CreateClientAsync();
        var grain = client.GrainFactory.GetGrain<IPlacedGrain>("unsendable-error");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.FailUnsendably()).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Contains(typeof(UnsendableCodeException).FullName!, failure.Message, StringComparison.Ordinal);
        Assert.Contains("could not be sent", failure.Message, StringComparison.Ordinal);
        await cluster.Silos[0].StopAsync().WaitAsync(TimeSpan.FromMinutes(1));
    }

    /// <summary>
    /// A result or an argument that cannot be read fails its own call at once, with the reason, and nothing else: the
    /// connection that carried it stays, with the other calls on it.
    /// </summary>
    [Fact]
    public async Task A_result_or_argument_that_cannot_be_read_fails_only_its_call()
    {
        await using var cluster = await TestCluster.StartAsync(Clusters.Options(new ActivationLedger(), 1));
        await using var client = await cluster.CreateClientAsync();
        var grain = client.GrainFactory.GetGrain<IPlacedGrain>("unreadable");
        var other = client.GrainFactory.GetGrain<IPlacedGrain>("bystander");
        Assert.Equal(1, await other.Add(1));

        var result = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Unreadable());
        var argument = await Assert.ThrowsAsync<ArgumentException>(() => grain.Accept(new UnreadableValue()));

        Assert.Contains("could not be read", result.Message, StringComparison.Ordinal);
        Assert.Contains("a faulty setter", result.Message, StringComparison.Ordinal);
        Assert.Contains("could not be read", argument.Message, StringComparison.Ordinal);
        Assert.Equal(3, await other.Add(2));
    }
}
