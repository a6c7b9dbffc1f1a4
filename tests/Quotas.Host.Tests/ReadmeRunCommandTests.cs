using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Quotas.Host.Tests;

/// <summary>
/// The README's run command, taken from the README itself and run in a fresh copy of the repository (what git tracks,
/// no build output), as a new user would: it must build, start on http://localhost:5000, report ready and serve the
/// dashboard and the demo tenants.
/// </summary>
public sealed partial class ReadmeRunCommandTests : IDisposable
{
    private static readonly Uri s_defaultUrl = new("http://localhost:5000");

    private readonly string _checkout = Directory.CreateTempSubdirectory("quotas-fresh-checkout-").FullName;

    [Fact]
    public async Task The_readme_run_command_serves_readiness_the_dashboard_and_the_demo_tenants_from_a_fresh_checkout()
    {
        var repository = RepositoryFiles.Root();
        var command = RunCommand(await File.ReadAllTextAsync(Path.Combine(repository, "README.md")));
        await CopyTrackedFilesAsync(repository, _checkout);
        AssertPortFree(s_defaultUrl.Port);

        await using var host = await HostProcess.StartCommandAsync(_checkout, command, s_defaultUrl, TimeSpan.FromMinutes(6));
        using var ready = await host.GetAsync("/health/ready");
        Assert.True(ready.StatusCode == HttpStatusCode.OK, host.Output);

        using var dashboard = await host.GetAsync("/");
        Assert.Contains("<title>Quotas dashboard</title>", await dashboard.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var adminKey = AdminKeyPattern().Match(host.Output).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(adminKey), host.Output);
        await host.WaitForLineAsync("Demo tenants ready", TimeSpan.FromSeconds(60));
        host.Http.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);
        using var tenants = await host.GetAsync("/v1/tenants");
        var ids = JsonNode.Parse(await tenants.Content.ReadAsStringAsync())!["items"]!.AsArray().Select(t => (string?)t!["id"]);
        Assert.Equal(["demo-basic", "demo-enterprise", "demo-premium"], ids);
        var databases = Directory.GetFiles(_checkout, "quotas.db", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_checkout, f));
        Assert.Equal([Path.Combine("src", "Quotas.Host", "quotas.db")], databases); // where the README says it is
    }

    public void Dispose() => Directory.Delete(_checkout, recursive: true);

    /// <summary>The command in the README's command table, row "run (embedded ...)".</summary>
    private static string RunCommand(string readme)
    {
        var match = RunRowPattern().Match(readme);
        Assert.True(match.Success, "README.md has no command table row starting with '| run (embedded' and a `command`.");
        return match.Groups[1].Value;
    }

    /// <summary>Tracked files and new files git does not ignore: the working tree as a clean clone would have it.</summary>
    private static async Task CopyTrackedFilesAsync(string repository, string target)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repository };
        foreach (var argument in new[] { "ls-files", "-z", "--cached", "--others", "--exclude-standard" })
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start)!;
        var listing = await git.StandardOutput.ReadToEndAsync();
        await git.WaitForExitAsync();
        Assert.True(git.ExitCode == 0, "git ls-files failed: " + await git.StandardError.ReadToEndAsync());
        foreach (var file in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var source = Path.Combine(repository, file);
            if (!File.Exists(source))
            {
                continue; // deleted in the working tree but not yet in the index
            }

            var destination = Path.Combine(target, file);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(source, destination);
        }
    }

    private static void AssertPortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
        catch (SocketException error)
        {
            Assert.Fail($"Port {port} is in use ({error.SocketErrorCode}); the README's run command listens there. Stop what uses it and run the tests again.");
        }
    }

    [GeneratedRegex(@"^\| run \(embedded[^|]*\| `([^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex RunRowPattern();

    [GeneratedRegex(@"the admin key of this run is (\S+)\.")]
    private static partial Regex AdminKeyPattern();
}
