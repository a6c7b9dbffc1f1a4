using Quotas.LoadTest.Load;
using Quotas.LoadTest.Options;

namespace Quotas.LoadTest.Targets;

/// <summary>Starts the product's host (the Release build) in one of its roles, as the product targets measure it.</summary>
internal static class QuotasHost
{
    /// <summary>Fixed so that a failed run can be inspected by hand; the hosts only listen on loopback.</summary>
    public const string AdminKey = "loadtest-admin-key-0123456789abcdefghijk";

    /// <summary>
    /// Starts the host with <paramref name="settings"/> (pairs of <c>--Section:Key value</c>) and waits until
    /// <c>/health/ready</c> answers 200 on <paramref name="baseAddress"/>.
    /// </summary>
    public static async Task<ChildProcess> StartAsync(string name, RepositoryPaths paths, Uri baseAddress, IEnumerable<string> settings, string workingDirectory, CpuList? cpus, CancellationToken cancellationToken)
    {
        if (!File.Exists(paths.HostAssembly))
        {
            throw new StartupException($"{paths.HostAssembly} is missing: build it with 'dotnet build src/Quotas.Host -c Release' (run.sh does).");
        }

        var host = ChildProcess.Start(name, RepositoryPaths.Dotnet,
        [
            paths.HostAssembly,
            "--Quotas:HttpUrl", baseAddress.ToString().TrimEnd('/'),
            "--Quotas:Gateway:AdminKey", AdminKey,
            "--Quotas:SeedDemoTenants", "false",
            // The baseline servers log at Warning too; per-request Information lines would be measured otherwise.
            "--Logging:LogLevel:Default", "Warning",
            .. settings,
        ], cpus, workingDirectory: workingDirectory);
        try
        {
            await host.WaitUntilReadyAsync(HttpProbe.Answers200(new Uri(baseAddress, "/health/ready")), TimeSpan.FromMinutes(2), cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>The collector figures of a host, read from its <c>/metrics</c>.</summary>
    public static Task<GcFigures?> GcAsync(Uri baseAddress, CancellationToken cancellationToken) =>
        GcProbe.PrometheusAsync(new Uri(baseAddress, "/metrics"), AdminKey, cancellationToken);

    /// <summary>Creates the tenants through the host's admin API and answers the hit request of each.</summary>
    public static async Task<RequestPlan> ProvisionAsync(Uri baseAddress, Options.LoadTestOptions options, CancellationToken cancellationToken)
    {
        var tenants = TenantIds.Create(options.Tenants);
        var keys = await TenantProvisioner.CreateAsync(baseAddress, AdminKey, tenants, options.Limit, options.WindowSeconds, cancellationToken);
        return new RequestPlan([.. tenants.Select(id => new Uri(baseAddress, $"/v1/tenants/{id}/rate-limits/requests/hits"))], keys);
    }

    /// <summary>Deletes a host's temporary working directory; one left behind is not worth failing a measured run for.</summary>
    public static void DeleteWorkingDirectory(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Logs or a database file still held open: the temporary directory stays.
        }
    }
}
