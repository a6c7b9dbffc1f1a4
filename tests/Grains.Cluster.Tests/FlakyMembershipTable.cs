using Grains.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace Grains.Cluster.Tests;

/// <summary>One silo's membership table, whose next row writes fail when a test says so (a database blip).</summary>
internal sealed class FlakyMembershipTable(IMembershipTable inner) : IMembershipTable
{
    private int _failingWrites;

    /// <summary>Makes the next <paramref name="writes"/> row writes fail, as a database that cannot be reached would.</summary>
    public void FailNextWrites(int writes) => Volatile.Write(ref _failingWrites, writes);

    /// <summary>Wraps the membership table each silo of the cluster builds; each silo then has its own.</summary>
    public static void Install(IServiceCollection services)
    {
        var table = services.Last(d => d.ServiceType == typeof(IMembershipTable));
        services.AddSingleton(sp => new FlakyMembershipTable((IMembershipTable)table.ImplementationFactory!(sp)));
        services.AddSingleton<IMembershipTable>(sp => sp.GetRequiredService<FlakyMembershipTable>());
    }

    public string Target => inner.Target;

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task<MembershipSnapshot> ReadAsync(CancellationToken cancellationToken) => inner.ReadAsync(cancellationToken);

    public Task<bool> TryInsertAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken) =>
        Fail() ?? inner.TryInsertAsync(entry, expectedVersion, cancellationToken);

    public Task<bool> TryUpdateAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken) =>
        Fail() ?? inner.TryUpdateAsync(entry, expectedVersion, cancellationToken);

    public Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset time, int activations, CancellationToken cancellationToken) =>
        inner.UpdateIAmAliveAsync(silo, time, activations, cancellationToken);

    public Task<int> CleanupDefunctAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => inner.CleanupDefunctAsync(olderThan, cancellationToken);

    public Task ListenAsync(Action<long> onChange, CancellationToken cancellationToken) => inner.ListenAsync(onChange, cancellationToken);

    private Task<bool>? Fail()
    {
        var left = Volatile.Read(ref _failingWrites);
        while (left > 0)
        {
            if (Interlocked.CompareExchange(ref _failingWrites, left - 1, left) == left)
            {
                return Task.FromException<bool>(new TimeoutException($"The membership table at {Target} did not answer (a fault the test set)."));
            }

            left = Volatile.Read(ref _failingWrites);
        }

        return null;
    }
}
