using Quotas.Gateway;

namespace Quotas.Host.Tests;

public sealed class HostSettingsTests
{
    [Fact]
    public void The_defaults_are_the_embedded_mode_and_valid()
    {
        var settings = new HostSettings();

        Assert.Empty(settings.Validate());
        Assert.Equal(HostRole.Both, settings.Role);
        Assert.False(settings.Clustered);
        Assert.Equal(new Uri("http://localhost:5000"), settings.HttpUrl);
    }

    [Fact]
    public void A_cluster_with_a_connection_string_may_run_each_role()
    {
        foreach (var role in Enum.GetValues<HostRole>())
        {
            var settings = new HostSettings { Role = role, Storage = StorageKind.PostgreSql, PostgreSqlConnectionString = "Host=db" };
            Assert.Empty(settings.Validate());
        }
    }

    /// <summary>A cluster's connection string with the storage left at SQLite used to start the embedded mode, unnoticed.</summary>
    [Fact]
    public void A_postgresql_connection_string_without_postgresql_storage_is_refused_naming_both_settings()
    {
        var error = Assert.Single(new HostSettings { PostgreSqlConnectionString = "Host=db;Username=quotas" }.Validate());

        Assert.Contains("Quotas:PostgreSqlConnectionString is set but Quotas:Storage is Sqlite", error, StringComparison.Ordinal);
    }

    /// <summary>The configuration binder reads "Quotas__Role=3" as a role, defined or not; it ran as silo and gateway.</summary>
    [Fact]
    public void A_role_or_storage_given_as_a_number_that_names_none_is_refused_with_the_names()
    {
        var role = Assert.Single(new HostSettings { Role = (HostRole)3, Storage = StorageKind.PostgreSql, PostgreSqlConnectionString = "Host=db" }.Validate());
        var storage = Assert.Single(new HostSettings { Storage = (StorageKind)5 }.Validate());

        Assert.Equal("Quotas:Role 3 is not a role; use Silo, Gateway, Both.", role);
        Assert.Equal("Quotas:Storage 5 is not a storage; use Sqlite, PostgreSql.", storage);
        Assert.Single(new HostSettings { Role = (HostRole)3 }.Validate());
    }

    [Fact]
    public void A_process_serving_the_api_in_a_cluster_drains_for_five_seconds_by_default_and_others_stop_at_once()
    {
        Assert.Equal(TimeSpan.Zero, new HostSettings().DrainDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), new HostSettings { Storage = StorageKind.PostgreSql, PostgreSqlConnectionString = "Host=db" }.DrainDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), new HostSettings { Role = HostRole.Gateway, Storage = StorageKind.PostgreSql }.DrainDelay);
        Assert.Equal(TimeSpan.Zero, new HostSettings { Role = HostRole.Silo, Storage = StorageKind.PostgreSql }.DrainDelay);
        Assert.Equal(TimeSpan.FromSeconds(12), new HostSettings { ShutdownDelay = TimeSpan.FromSeconds(12) }.DrainDelay);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(301)]
    public void A_shutdown_delay_outside_zero_to_five_minutes_is_refused_with_what_to_set(int seconds)
    {
        var error = Assert.Single(new HostSettings { ShutdownDelay = TimeSpan.FromSeconds(seconds) }.Validate());

        Assert.Contains("Quotas:ShutdownDelay", error, StringComparison.Ordinal);
        Assert.Contains("00:00:05", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0123456789abcdef", true)]
    [InlineData("0123456789abcde", false)]
    [InlineData("0123456789 abcdef", false)]
    [InlineData("0123456789abcdéf", false)]
    public void A_metrics_key_is_a_long_enough_one_a_bearer_header_can_carry(string key, bool accepted)
    {
        var errors = new HostSettings { MetricsKey = key }.Validate();

        Assert.Equal(accepted, errors.Count == 0);
        Assert.All(errors, error => Assert.Contains("Quotas:MetricsKey must be 16 to 248 visible ASCII characters", error, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://localhost:5001")]
    [InlineData("http://localhost:5000/api")]
    [InlineData("127.0.0.1:8080")] // no scheme: a relative address
    public void Only_a_plain_http_address_without_a_path_is_accepted(string url)
    {
        var errors = new HostSettings { HttpUrl = new Uri(url, UriKind.RelativeOrAbsolute) }.Validate();

        Assert.Contains(errors, error => error.Contains("Quotas:HttpUrl", StringComparison.Ordinal) && error.Contains("TLS", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://myhost:5000", false)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://0.0.0.0:5000", true)]
    [InlineData("http://10.1.2.3:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    public void The_http_host_is_one_the_process_can_listen_on(string url, bool accepted)
    {
        var errors = new HostSettings { HttpUrl = new Uri(url) }.Validate();

        Assert.Equal(accepted, errors.Count == 0);
        Assert.All(errors, error => Assert.Contains("0.0.0.0 listens on every interface", error, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(HostRole.Gateway)]
    [InlineData(HostRole.Both)]
    public void A_gateway_of_a_cluster_needs_a_configured_admin_key_and_the_error_names_the_setting(HostRole role)
    {
        var settings = new HostSettings { Role = role, Storage = StorageKind.PostgreSql, PostgreSqlConnectionString = "Host=db" };

        var error = Assert.Single(new GatewayOptions().Validate(settings.ServesApiInCluster));

        Assert.Contains("Quotas:Gateway:AdminKey is empty", error, StringComparison.Ordinal);
        Assert.Contains("Quotas__Gateway__AdminKey", error, StringComparison.Ordinal);
        Assert.Empty(new GatewayOptions { AdminKey = new string('k', 32) }.Validate(settings.ServesApiInCluster));
    }

    [Theory]
    [InlineData(248, "", true)]
    [InlineData(249, "", false)]
    [InlineData(40, "\n", false)]
    [InlineData(40, " ", false)]
    [InlineData(40, "\u00e9", false)]
    public void An_admin_key_is_one_a_bearer_header_can_carry(int length, string end, bool accepted)
    {
        var errors = new GatewayOptions { AdminKey = new string('k', length) + end }.Validate();

        Assert.Equal(accepted, errors.Count == 0);
        Assert.All(errors, error => Assert.Contains("at most 248 visible ASCII characters", error, StringComparison.Ordinal));
    }

    [Fact]
    public void The_embedded_mode_and_a_silo_without_the_API_may_leave_the_admin_key_empty()
    {
        var embedded = new HostSettings();
        var silo = new HostSettings { Role = HostRole.Silo, Storage = StorageKind.PostgreSql, PostgreSqlConnectionString = "Host=db" };

        Assert.Empty(new GatewayOptions().Validate(embedded.ServesApiInCluster));
        Assert.Empty(new GatewayOptions().Validate(silo.ServesApiInCluster));
    }
}
