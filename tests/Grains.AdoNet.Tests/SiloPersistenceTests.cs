using Grains.AdoNet.Storage;
using Grains.Storage;
using Grains.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Grains.AdoNet.Tests;

public abstract class SiloPersistenceTests
{
    protected abstract TestStorage Database { get; }

    [Fact]
    public async Task Every_grain_storage_of_a_silo_gets_its_own_sweeper_of_expired_records()
    {
        var options = new TestClusterOptions { Storage = Database, ConfigureSilo = silo => Database.AddTo(silo, "Archive") };
        options.ApplicationParts.Add(typeof(NoteGrain).Assembly);
        await using var cluster = await TestCluster.StartAsync(options);

        var sweepers = cluster.PrimarySilo.Services.GetServices<IHostedService>().OfType<ExpiredStateSweeper>().Select(s => s.StorageName);

        Assert.Equal(["Archive", "Default"], sweepers.Order());
    }

    /// <summary>
    /// Storages on one table share its sweep: a record does not say which storage wrote it, so one's shorter grace
    /// would delete the other's records under its activations. A silo whose storages differ there does not start, and
    /// says why; the same settings start.
    /// </summary>
    [Theory]
    [InlineData("7.00:00:00", false)]
    [InlineData("01:00:00", true)]
    public async Task Storages_sharing_a_table_must_share_its_sweep_settings(string archiveGrace, bool starts)
    {
        var failure = await StartFailureAsync(
            new() { ["Grains:Storage:Archive:ExpiredStateGracePeriod"] = archiveGrace },
            options => options.ConfigureSilo = silo => Database.AddTo(silo, "Archive"));

        if (starts)
        {
            Assert.Null(failure);
        }
        else
        {
            var refused = Assert.IsType<InvalidOperationException>(failure);
            Assert.Contains("'Default' and 'Archive' share", refused.Message, StringComparison.Ordinal);
            Assert.Contains("ExpiredStateGracePeriod", refused.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A sweep whose grace ends before an idle activation may be gone (collected at the first look after its idle
    /// time, then its hook and last writes) could delete a record under it.
    /// </summary>
    [Theory]
    [InlineData("00:16:59", "00:10:00", false)]
    [InlineData("00:16:59", "00:00:00", true)]
    [InlineData("00:17:00", "00:10:00", true)]
    public async Task A_sweep_must_keep_expired_records_as_long_as_an_idle_activation_lives(string grace, string sweep, bool starts)
    {
        var failure = await StartFailureAsync(
            new() { ["Grains:Storage:Default:ExpiredStateGracePeriod"] = grace, ["Grains:Storage:Default:ExpiredStateSweepInterval"] = sweep },
            options => options.ConfigureGrains = grains =>
            {
                grains.CollectionAge = TimeSpan.FromMinutes(15);
                grains.CollectionQuantum = TimeSpan.FromMinutes(1);
                grains.DeactivationTimeout = TimeSpan.FromSeconds(30);
            });

        if (starts)
        {
            Assert.Null(failure);
        }
        else
        {
            var refused = Assert.IsType<InvalidOperationException>(failure);
            Assert.Contains("Grain storage 'Default' deletes expired records 00:16:59 after", refused.Message, StringComparison.Ordinal);
            Assert.Contains("(00:17:00: Grains:CollectionAge 00:15:00, plus Grains:CollectionQuantum", refused.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A grace past a century would put the cutoff before the calendar's first day: the first sweep's subtraction threw
    /// and stopped the silo, at every start.
    /// </summary>
    [Fact]
    public async Task A_grace_period_beyond_a_century_is_refused_with_the_way_to_keep_expired_records()
    {
        var failure = await StartFailureAsync(
            new() { ["Grains:Storage:Default:ExpiredStateGracePeriod"] = "36500.00:00:01" },
            options => { });

        var refused = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("has ExpiredStateGracePeriod 36500.00:00:01; use zero to 36500 days", refused.Message, StringComparison.Ordinal);
        Assert.Contains("ExpiredStateSweepInterval 0", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Starts (and stops) a silo with these settings in its configuration; returns why it did not start, or null.</summary>
    private async Task<Exception?> StartFailureAsync(Dictionary<string, string?> settings, Action<TestClusterOptions> configure)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new TestClusterOptions { Storage = Database, ConfigureServices = services => services.AddSingleton<IConfiguration>(configuration) };
        configure(options);
        options.ApplicationParts.Add(typeof(NoteGrain).Assembly);
        return await Record.ExceptionAsync(async () => await (await TestCluster.StartAsync(options)).DisposeAsync());
    }

    [Fact]
    public async Task A_storages_sweep_settings_come_from_configuration_over_the_defaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Grains:Storage:Default:ExpiredStateGracePeriod"] = "00:05:00",
            ["Grains:Storage:Default:ExpiredStateSweepInterval"] = "00:00:00",
        }).Build();
        var options = new TestClusterOptions { Storage = Database, ConfigureServices = services => services.AddSingleton<IConfiguration>(configuration) };
        options.ApplicationParts.Add(typeof(NoteGrain).Assembly);
        await using var cluster = await TestCluster.StartAsync(options);

        var storage = cluster.PrimarySilo.Services.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get("Default");

        Assert.Equal(TimeSpan.FromMinutes(5), storage.ExpiredStateGracePeriod);
        Assert.Equal(TimeSpan.Zero, storage.ExpiredStateSweepInterval);
        Assert.Equal(Database.ConnectionString, storage.ConnectionString);
    }

    [Fact]
    public async Task State_survives_disposing_the_silo_and_starting_a_new_one_on_the_same_database()
    {
        var options = new TestClusterOptions { Storage = Database };
        options.ApplicationParts.Add(typeof(NoteGrain).Assembly);
        await using (var first = await TestCluster.StartAsync(options))
        {
            var note = first.GrainFactory.GetGrain<INoteGrain>("diary");
            await note.Append("one");
            await note.Append("two");
        }

        await using var second = await TestCluster.StartAsync(options);

        Assert.Equal(["one", "two"], await second.GrainFactory.GetGrain<INoteGrain>("diary").Lines());
    }

    [Fact]
    public async Task Entries_survive_disposing_the_silo_and_are_read_before_the_first_call()
    {
        var options = new TestClusterOptions { Storage = Database };
        options.ApplicationParts.Add(typeof(LineNoteGrain).Assembly);
        await using (var first = await TestCluster.StartAsync(options))
        {
            var note = first.GrainFactory.GetGrain<ILineNoteGrain>("diary");
            await note.Put(1, "one");
            await note.Put(2, "two");
            await note.Put(3, "three");
            await note.Put(2, null);
            await note.Put(1, "uno");
        }

        await using var second = await TestCluster.StartAsync(options);

        var lines = await second.GrainFactory.GetGrain<ILineNoteGrain>("diary").Lines();
        Assert.Equal(new Dictionary<string, string> { ["line/1"] = "uno", ["line/3"] = "three" }, lines);
    }
}

public sealed class SqliteSiloPersistenceTests : SiloPersistenceTests
{
    protected override TestStorage Database { get; } = TestStorage.Sqlite();

    [Fact]
    public async Task Database_file_that_cannot_be_opened_stops_the_start_with_an_error_naming_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "grains.db");
        using var host = TestCluster.BuildSiloHost(new TestClusterOptions { Storage = TestStorage.Sqlite(path) });

        var error = await Assert.ThrowsAsync<GrainStorageException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains(path, error.Message);
        Assert.Contains("'Default'", error.Message);
    }
}

public sealed class PostgreSqlSiloPersistenceTests : SiloPersistenceTests
{
    protected override TestStorage Database { get; } = TestStorage.PostgreSql();

    [Fact]
    public async Task Database_that_is_down_stops_the_start_with_an_error_naming_the_target()
    {
        // Nothing listens on port 1: the connection is refused at once.
        var storage = TestStorage.PostgreSql("Host=127.0.0.1;Port=1;Username=postgres;Password=postgres;Database=grains_test;Timeout=5");
        using var host = TestCluster.BuildSiloHost(new TestClusterOptions { Storage = storage });

        var error = await Assert.ThrowsAsync<GrainStorageException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("PostgreSQL at 127.0.0.1:1, database 'grains_test'", error.Message);
        Assert.DoesNotContain("Password", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task Connection_string_that_is_not_valid_is_refused_at_start()
    {
        using var host = TestCluster.BuildSiloHost(new TestClusterOptions { Storage = TestStorage.PostgreSql("Hots=nowhere") });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("not a valid PostgreSql connection string", error.Message);
    }
}
