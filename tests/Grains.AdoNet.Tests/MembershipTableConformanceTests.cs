using Grains.AdoNet.Clustering;
using Grains.Cluster;
using Grains.Testing;

namespace Grains.AdoNet.Tests;

/// <summary>The behaviour every membership table must have; each dialect runs all of it.</summary>
public abstract class MembershipTableConformanceTests : IAsyncLifetime
{
    private readonly List<AdoNetMembershipTable> _tables = [];
    private readonly DateTimeOffset _now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    protected abstract TestStorage Database { get; }

    protected abstract bool Notifies { get; }

    private string ClusterId { get; } = "cluster-" + Guid.NewGuid().ToString("N")[..12];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var table in _tables)
        {
            await table.DisposeAsync();
        }
    }

    [Fact]
    public async Task New_cluster_starts_at_version_zero_with_no_silos()
    {
        var table = await CreateTableAsync();

        var snapshot = await table.ReadAsync(default);

        Assert.Equal(0, snapshot.Version);
        Assert.Empty(snapshot.Entries);
    }

    [Fact]
    public async Task Insert_with_the_current_version_adds_the_silo_and_bumps_the_version()
    {
        var table = await CreateTableAsync();

        Assert.True(await table.TryInsertAsync(Entry(1), 0, default));
        var snapshot = await table.ReadAsync(default);

        Assert.Equal(1, snapshot.Version);
        var entry = Assert.Single(snapshot.Entries);
        Assert.Equal(Silo(1), entry.Silo);
        Assert.Equal(MembershipStatus.Joining, entry.Status);
        Assert.Equal(_now, entry.StartTime);
        Assert.False(await table.TryInsertAsync(Entry(2), 0, default));
    }

    [Fact]
    public async Task Two_concurrent_writers_at_the_same_version_exactly_one_wins()
    {
        var table = await CreateTableAsync();
        var other = await CreateTableAsync();
        for (var round = 0; round < 10; round++)
        {
            var version = (await table.ReadAsync(default)).Version;
            using var start = new Barrier(2);

            var outcomes = await Task.WhenAll(
                Task.Run(async () => { start.SignalAndWait(); return await table.TryInsertAsync(Entry(100 + (2 * round)), version, default); }),
                Task.Run(async () => { start.SignalAndWait(); return await other.TryInsertAsync(Entry(101 + (2 * round)), version, default); }));

            Assert.Equal(1, outcomes.Count(won => won));
            Assert.Equal(version + 1, (await table.ReadAsync(default)).Version);
        }
    }

    [Fact]
    public async Task Update_needs_both_the_row_etag_and_the_table_version()
    {
        var table = await CreateTableAsync();
        await table.TryInsertAsync(Entry(1), 0, default);
        var joined = (await table.ReadAsync(default)).Find(Silo(1))!;

        var votes = new[] { new Suspicion(Silo(2), _now) };
        Assert.True(await table.TryUpdateAsync(joined with { Status = MembershipStatus.Active, Suspicions = votes }, 1, default));
        Assert.False(await table.TryUpdateAsync(joined with { Status = MembershipStatus.Dead }, 2, default));
        var active = (await table.ReadAsync(default)).Find(Silo(1))!;
        Assert.False(await table.TryUpdateAsync(active with { Status = MembershipStatus.Dead }, 1, default));

        var snapshot = await table.ReadAsync(default);
        Assert.Equal(2, snapshot.Version);
        Assert.Equal(MembershipStatus.Active, snapshot.Find(Silo(1))!.Status);
        Assert.Equal(votes, snapshot.Find(Silo(1))!.Suspicions);
    }

    [Fact]
    public async Task A_change_made_from_an_entry_read_before_the_latest_heartbeat_keeps_that_heartbeat()
    {
        var table = await CreateTableAsync();
        await table.TryInsertAsync(Entry(1), 0, default);
        var read = (await table.ReadAsync(default)).Find(Silo(1))!;

        // The silo's heartbeat lands between another silo's read of its row and that silo's vote.
        await table.UpdateIAmAliveAsync(Silo(1), _now.AddSeconds(30), 0, default);
        Assert.True(await table.TryUpdateAsync(read with { Suspicions = [new Suspicion(Silo(2), _now.AddSeconds(31))] }, 1, default));

        Assert.Equal(_now.AddSeconds(30), (await table.ReadAsync(default)).Find(Silo(1))!.IAmAliveTime);
    }

    [Fact]
    public async Task Heartbeat_updates_the_row_and_its_activation_count_without_changing_the_version()
    {
        var table = await CreateTableAsync();
        await table.TryInsertAsync(Entry(1), 0, default);
        var joined = (await table.ReadAsync(default)).Find(Silo(1))!;

        await table.UpdateIAmAliveAsync(Silo(1), _now.AddSeconds(30), 42, default);

        var snapshot = await table.ReadAsync(default);
        Assert.Equal(1, snapshot.Version);
        Assert.Null(joined.Activations);
        Assert.Equal(_now.AddSeconds(30), snapshot.Find(Silo(1))!.IAmAliveTime);
        Assert.Equal(42, snapshot.Find(Silo(1))!.Activations);
    }

    [Fact]
    public async Task Cleanup_deletes_only_long_dead_silos_and_long_joining_ones_and_bumps_the_version()
    {
        var table = await CreateTableAsync();
        await table.TryInsertAsync(Entry(1) with { Status = MembershipStatus.Dead, IAmAliveTime = _now.AddHours(-2) }, 0, default);
        await table.TryInsertAsync(Entry(2) with { Status = MembershipStatus.Dead, IAmAliveTime = _now }, 1, default);
        await table.TryInsertAsync(Entry(3) with { Status = MembershipStatus.Active, IAmAliveTime = _now.AddHours(-2) }, 2, default);
        await table.TryInsertAsync(Entry(4) with { Status = MembershipStatus.Joining, IAmAliveTime = _now.AddHours(-2) }, 3, default);
        await table.TryInsertAsync(Entry(5) with { Status = MembershipStatus.Joining, IAmAliveTime = _now }, 4, default);
        await table.TryInsertAsync(Entry(6) with { Status = MembershipStatus.ShuttingDown, IAmAliveTime = _now.AddHours(-2) }, 5, default);

        var removed = await table.CleanupDefunctAsync(_now.AddHours(-1), default);

        var snapshot = await table.ReadAsync(default);
        Assert.Equal(2, removed);
        Assert.Equal(7, snapshot.Version);
        Assert.Equal([Silo(2), Silo(3), Silo(5), Silo(6)], snapshot.Entries.Select(e => e.Silo).Order());
    }

    [Fact]
    public async Task Clusters_sharing_the_table_do_not_see_each_other()
    {
        var table = await CreateTableAsync();
        var other = await CreateTableAsync("other-" + ClusterId);

        await table.TryInsertAsync(Entry(1), 0, default);

        Assert.Empty((await other.ReadAsync(default)).Entries);
        Assert.True(await other.TryInsertAsync(Entry(1), 0, default));
    }

    [Fact]
    public async Task Schema_creation_is_idempotent_and_safe_when_silos_start_together()
    {
        var tables = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => CreateTableAsync())));

        await tables[0].InitializeAsync(default);

        Assert.True(await tables[1].TryInsertAsync(Entry(1), 0, default));
    }

    [Fact]
    public async Task Changes_are_announced_to_listeners_where_the_database_can_notify()
    {
        var table = await CreateTableAsync();
        using var listening = new CancellationTokenSource();
        var heard = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = Task.Run(() => table.ListenAsync(version => heard.TrySetResult(version), listening.Token));

        if (!Notifies)
        {
            await listener.WaitAsync(TimeSpan.FromSeconds(10));
            return;
        }

        // The LISTEN is in place once a notification for an earlier change would arrive; insert until one does.
        for (var attempt = 0; attempt < 50 && !heard.Task.IsCompleted; attempt++)
        {
            await table.TryInsertAsync(Entry(attempt + 1), attempt, default);
            await Task.WhenAny(heard.Task, Task.Delay(100));
        }

        Assert.True(await heard.Task.WaitAsync(TimeSpan.FromSeconds(10)) >= 1);
        await listening.CancelAsync();
        var ended = await Record.ExceptionAsync(() => listener.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ended is null or OperationCanceledException, $"listening ended with {ended}");
    }

    private static SiloAddress Silo(int n) => new("127.0.0.1", 11000 + n, 638_000_000_000_000_000 + n);

    private MembershipEntry Entry(int n) => new(Silo(n), $"silo-{n}", MembershipStatus.Joining, _now, _now, []);

    private async Task<AdoNetMembershipTable> CreateTableAsync(string? clusterId = null)
    {
        var options = new AdoNetMembershipOptions { Dialect = Database.Dialect, ConnectionString = Database.ConnectionString };
        var table = new AdoNetMembershipTable(clusterId ?? ClusterId, options, TimeProvider.System);
        lock (_tables)
        {
            _tables.Add(table);
        }

        await table.InitializeAsync(default);
        return table;
    }
}

public sealed class SqliteMembershipTableTests : MembershipTableConformanceTests
{
    protected override TestStorage Database { get; } = TestStorage.Sqlite();

    protected override bool Notifies => false;

    /// <summary>
    /// A database error after the start names the table and what to check, as the start's own errors do; a silo that
    /// could not join reported a bare driver error before.
    /// </summary>
    [Fact]
    public async Task An_error_of_the_database_names_the_membership_table_and_what_to_check()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-directory-{Guid.NewGuid():N}", "membership.db");
        await using var table = new AdoNetMembershipTable(
            "cluster", new AdoNetMembershipOptions { Dialect = AdoNetDialect.Sqlite, ConnectionString = $"Data Source={missing};Mode=ReadWrite" }, TimeProvider.System);
        var silo = new SiloAddress("127.0.0.1", 11000, 1);

        var read = await Assert.ThrowsAsync<InvalidOperationException>(() => table.ReadAsync(default));
        var write = await Assert.ThrowsAsync<InvalidOperationException>(() => table.UpdateIAmAliveAsync(silo, DateTimeOffset.UnixEpoch, 0, default));

        Assert.StartsWith("Reading the membership table at SQLite file", read.Message);
        Assert.Contains("Check that the database is running", read.Message);
        Assert.StartsWith("Writing a heartbeat to the membership table at SQLite file", write.Message);
        Assert.NotNull(read.InnerException);
    }
}

public sealed class PostgreSqlMembershipTableTests : MembershipTableConformanceTests
{
    protected override TestStorage Database { get; } = TestStorage.PostgreSql();

    protected override bool Notifies => true;

    /// <summary>
    /// On a server whose default isolation a DBA raised to serializable, a change that waited for the version row
    /// another silo then moved on is refused (false, read again and retried), as under read committed: a serialization
    /// failure instead would drop the silo's join or vote.
    /// </summary>
    [Fact]
    public async Task A_change_that_waited_for_a_version_another_silo_moved_on_is_refused_under_serializable_isolation()
    {
        var clusterId = "strict-" + Guid.NewGuid().ToString("N")[..12];
        await using var table = new AdoNetMembershipTable(
            clusterId,
            new AdoNetMembershipOptions { Dialect = Database.Dialect, ConnectionString = Database.ConnectionString + ";Options=-c default_transaction_isolation=serializable" },
            TimeProvider.System);
        await table.InitializeAsync(default);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var entry = new MembershipEntry(new SiloAddress("127.0.0.1", 11000, 1), "silo-1", MembershipStatus.Joining, now, now, []);
        Assert.True(await table.TryInsertAsync(entry, 0, default));

        await using var other = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var bump = new Npgsql.NpgsqlCommand("UPDATE grains_membership_version SET version = version + 1 WHERE cluster_id = @cluster", other, transaction))
        {
            bump.Parameters.AddWithValue("cluster", clusterId);
            Assert.Equal(1, await bump.ExecuteNonQueryAsync());
        }

        var change = table.TryUpdateAsync(entry with { Status = MembershipStatus.Active, Etag = "1" }, 1, default);
        await PostgreSqlLockWaits.UntilWaitingAsync(Database.ConnectionString, "UPDATE grains_membership_version");
        await transaction.CommitAsync();

        Assert.False(await change);
    }
}
