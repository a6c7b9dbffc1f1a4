using Grains.Cluster;

namespace Grains.Runtime.Tests;

/// <summary>A membership table whose first read (or the one it names) waits for the test; every read answers the version set.</summary>
internal sealed class HeldTable : IMembershipTable
{
    private int _reads;

    public TaskCompletionSource FirstReadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource ReleaseFirstRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public volatile int Version = 1;

    /// <summary>Which read waits for <see cref="ReleaseFirstRead"/> (1: the first; 0: none).</summary>
    public int HeldRead { get; init; } = 1;

    /// <summary>The version a given read (numbered from 1) answers instead of <see cref="Version"/>; null for Version.</summary>
    public Func<int, int?> VersionOfRead { get; init; } = _ => null;

    /// <summary>The silos every read answers; none by default.</summary>
    public IReadOnlyList<MembershipEntry> Entries { get; init; } = [];

    public int Reads => Volatile.Read(ref _reads);

    public string Target => "held";

    public async Task<MembershipSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var read = Interlocked.Increment(ref _reads);
        var version = VersionOfRead(read) ?? Version;
        if (read == HeldRead)
        {
            FirstReadStarted.SetResult();
            await ReleaseFirstRead.Task.WaitAsync(cancellationToken);
        }

        return new MembershipSnapshot(version, Entries);
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<bool> TryInsertAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> TryUpdateAsync(MembershipEntry entry, long expectedVersion, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset time, int activations, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<int> CleanupDefunctAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task ListenAsync(Action<long> onChange, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
}
