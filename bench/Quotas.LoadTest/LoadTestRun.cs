using System.Net;
using Quotas.LoadTest.Load;
using Quotas.LoadTest.Load.Http;
using Quotas.LoadTest.Options;
using Quotas.LoadTest.Reporting;
using Quotas.LoadTest.Targets;

namespace Quotas.LoadTest;

/// <summary>
/// A whole run: each target in turn is started, checked with one request, searched for its peak and stopped, so that
/// only one server uses the machine at a time; then the same again, once per round, so that every target meets the
/// machine's drifting noise at several times and the checks can compare medians. A missed target is a result (exit 0);
/// a target that cannot be started or answers wrongly is an error (exit 1).
/// </summary>
internal static class LoadTestRun
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        if (args.Contains("--help"))
        {
            Console.WriteLine(OptionParser.Usage);
            return 0;
        }

        if (OptionParser.Parse(args, errors) is not { } options)
        {
            errors.ForEach(Console.Error.WriteLine);
            Console.Error.WriteLine(OptionParser.Usage);
            return 2;
        }

        var paths = RepositoryPaths.Find();
        var run = new RunInfo(DateTimeOffset.UtcNow, options, args, MachineAndCommit.Read(paths.Root));
        var sequence = ZipfSequence.Create(options.Tenants, options.ZipfExponent, options.Seed);
        var search = new PeakSearch(options, sequence, Console.Out);
        var results = new List<TargetResult>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            double? gatewayHalfPeakRate = null;
            foreach (var name in options.Targets)
            {
                await using var target = TargetCatalog.Create(name, options, paths);
                Console.WriteLine($"{target.Name}, round {round} of {options.Rounds}: {target.Description}; starting");
                var plan = await target.StartAsync(cancellationToken);
                await CheckOneRequestAsync(target.Name, plan, cancellationToken);
                var isGateway = name == TargetCatalog.Gateway;
                var result = await search.RunAsync(target.Name, target.Description, plan, target, isGateway ? null : gatewayHalfPeakRate, cancellationToken);
                results.Add(result with { Round = round });
                if (isGateway)
                {
                    gatewayHalfPeakRate = result.HalfPeak?.OfferedPerSecond;
                }
            }
        }

        var report = MarkdownReport.Render(run, results);
        Console.WriteLine();
        Console.WriteLine(report);
        if (options.OutputPath is { } output)
        {
            await File.AppendAllTextAsync(output, Environment.NewLine + report, cancellationToken);
            Console.WriteLine($"Appended to {Path.GetFullPath(output)}.");
        }

        return 0;
    }

    /// <summary>A misconfigured target would otherwise be measured as a stream of errors; one request says what is wrong.</summary>
    private static async Task CheckOneRequestAsync(string name, RequestPlan plan, CancellationToken cancellationToken)
    {
        int status;
        using (var loopback = new LoopbackClient(plan.EndPoint, maxConnections: 1))
        {
            try
            {
                status = await SingleResponse.SendAsync(loopback, plan.RawRequest(0), TimeSpan.FromSeconds(10), cancellationToken);
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                throw new StartupException($"{name}: the first quota check got no answer: {e.Message}");
            }
        }

        if (status is not (200 or 429))
        {
            // The same request through HttpClient, for the body that says why.
            using var client = new HttpClient();
            using var request = plan.Create(0);
            using var response = await client.SendAsync(request, cancellationToken);
            throw new StartupException($"{name}: the first quota check answered {status}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }
}
