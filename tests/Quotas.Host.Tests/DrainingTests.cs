using System.Net;
using System.Text.RegularExpressions;

namespace Quotas.Host.Tests;

/// <summary>A stopping host first says it is not ready and goes on serving for its shutdown delay, then stops.</summary>
public sealed class DrainingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("quotas-host-drain-").FullName;

    [Fact]
    public async Task After_sigterm_ready_answers_503_draining_while_the_api_and_liveness_are_still_served()
    {
        await using var host = await StartAsync(shutdownDelay: "00:02:00");
        using (var before = await host.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await host.TerminateAsync();

        // The log line is written once the process reports itself draining; the delay keeps it serving long after.
        await host.WaitForLineAsync("Draining:", TimeSpan.FromSeconds(30));
        using var ready = await host.GetAsync("/health/ready");
        using var live = await host.GetAsync("/health/live");
        using var tenants = await host.GetAsync("/v1/tenants");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("draining", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, tenants.StatusCode);
        Assert.DoesNotContain("Silo stopping", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_its_shutdown_delay_the_host_stops_its_silo_and_exits_cleanly()
    {
        await using var host = await StartAsync(shutdownDelay: "00:00:01");

        await host.TerminateAsync();
        await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, host.ExitCode);
        var output = host.Output;
        var draining = output.IndexOf("Draining:", StringComparison.Ordinal);
        Assert.True(draining >= 0, output);
        Assert.True(output.IndexOf("Silo stopping", StringComparison.Ordinal) > draining, output);
    }

    [Fact]
    public async Task A_second_sigterm_ends_the_drain_at_once_and_the_host_still_stops_cleanly()
    {
        await using var host = await StartAsync(shutdownDelay: "00:05:00");
        await host.TerminateAsync();
        await host.WaitForLineAsync("Draining:", TimeSpan.FromSeconds(30));

        await host.TerminateAsync();
        await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, host.ExitCode);
        Assert.Contains("while draining: the drain ends now", host.Output, StringComparison.Ordinal);
        Assert.Contains("Silo stopping", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shutdown_delay_out_of_range_is_refused_at_start()
    {
        await using var host = await HostProcess.RunToExitAsync(_directory, "--Quotas:ShutdownDelay", "00:05:01");

        Assert.Equal(2, host.ExitCode);
        Assert.Contains("Quotas:ShutdownDelay", host.Output, StringComparison.Ordinal);
    }

    private async Task<HostProcess> StartAsync(string shutdownDelay)
    {
        var host = await HostProcess.StartAsync(
            _directory,
            "--Quotas:SqliteConnectionString", $"Data Source={Path.Combine(_directory, "quotas.db")}",
            "--Quotas:SeedDemoTenants", "false",
            "--Quotas:ShutdownDelay", shutdownDelay);
        var adminKey = Regex.Match(host.Output, @"the admin key of this run is (\S+)\.").Groups[1].Value;
        host.Http.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);
        return host;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
