using Grains.AdoNet.Clustering;
using Grains.AdoNet.Storage;
using Microsoft.Extensions.Options;

namespace Grains.AdoNet.Tests;

public sealed class StorageOptionsValidationTests
{
    /// <summary>
    /// An in-memory SQLite database is refused at start with what to use instead: each connection would open an empty
    /// database of its own, so the schema and every acknowledged write would be lost.
    /// </summary>
    [Theory]
    [InlineData("Data Source=:memory:")]
    [InlineData("Data Source=quotas;Mode=Memory;Cache=Shared")]
    [InlineData("Data Source=")]
    public void An_in_memory_sqlite_database_is_refused(string connectionString)
    {
        var result = Validate(new AdoNetGrainStorageOptions { Dialect = AdoNetDialect.Sqlite, ConnectionString = connectionString });

        Assert.True(result.Failed);
        Assert.Contains("in-memory SQLite", result.FailureMessage);
        Assert.Contains("Data Source=quotas.db", result.FailureMessage);
    }

    /// <summary>The membership table refuses an in-memory SQLite database the same way.</summary>
    [Fact]
    public void An_in_memory_sqlite_membership_table_is_refused()
    {
        var options = new AdoNetMembershipOptions { Dialect = AdoNetDialect.Sqlite, ConnectionString = "Data Source=:memory:" };

        var error = Assert.Throws<ArgumentException>(() => new AdoNetMembershipTable("cluster", options, TimeProvider.System));
        Assert.Contains("in-memory SQLite", error.Message);
    }

    /// <summary>
    /// A sweep interval the timer cannot take (over about 49.7 days) or that would only load the database (under a
    /// second) is refused, naming the option; before, a 60-day interval passed and the silo failed to start with an
    /// error about a timer's period.
    /// </summary>
    [Theory]
    [InlineData("60.00:00:00", false)]
    [InlineData("00:00:00.0001", false)]
    [InlineData("49.00:00:00", true)]
    [InlineData("00:00:01", true)]
    [InlineData("00:00:00", true)]
    public void The_sweep_interval_is_one_a_timer_can_keep(string interval, bool valid)
    {
        var result = Validate(new AdoNetGrainStorageOptions
        {
            Dialect = AdoNetDialect.Sqlite,
            ConnectionString = "Data Source=quotas.db",
            ExpiredStateSweepInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture),
        });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("ExpiredStateSweepInterval", result.FailureMessage);
        }
    }

    private static ValidateOptionsResult Validate(AdoNetGrainStorageOptions options) =>
        new AdoNetGrainStorageOptionsValidator().Validate("Default", options);
}
