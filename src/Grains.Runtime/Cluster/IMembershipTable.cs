namespace Grains.Cluster;

/// <summary>
/// The cluster's membership table: a version and one row per silo. Every change of a row's status or votes is a
/// compare-and-swap on both the row's ETag and the table version, so concurrent writers never lose an update.
/// </summary>
public interface IMembershipTable
{
    /// <summary>Where the table lives, without credentials, for logs and errors.</summary>
    string Target { get; }

    /// <summary>Creates the schema if needed and checks every statement the table uses.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    Task<MembershipSnapshot> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Adds a row if the table is still at <paramref name="expectedVersion"/>; false when it moved on.</summary>
    Task<bool> TryInsertAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken);

    /// <summary>Replaces a row if its ETag and the table version still match; false otherwise.</summary>
    Task<bool> TryUpdateAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken);

    /// <summary>Records a heartbeat with the silo's activation count at that time; does not change the table version.</summary>
    Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset time, int activations, CancellationToken cancellationToken);

    /// <summary>Deletes rows of Dead silos, and of silos that never finished joining, whose last heartbeat is older than <paramref name="olderThan"/>.</summary>
    Task<int> CleanupDefunctAsync(DateTimeOffset olderThan, CancellationToken cancellationToken);

    /// <summary>Waits for change notifications and reports each new version; returns when the table cannot notify (callers poll).</summary>
    Task ListenAsync(Action<long> onChange, CancellationToken cancellationToken);
}
