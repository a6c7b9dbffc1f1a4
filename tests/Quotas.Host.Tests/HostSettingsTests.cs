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

    [Theory]
    [InlineData("https://localhost:5001")]
    [InlineData("http://localhost:5000/api")]
    public void Only_a_plain_http_address_without_a_path_is_accepted(string url)
    {
        var errors = new HostSettings { HttpUrl = new Uri(url) }.Validate();

        Assert.Contains(errors, error => error.Contains("Quotas:HttpUrl", StringComparison.Ordinal) && error.Contains("TLS", StringComparison.Ordinal));
    }
}
