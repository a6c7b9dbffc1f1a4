using System.Globalization;
using Quotas.LoadTest.Load;
using Quotas.LoadTest.Targets;

namespace Quotas.LoadTest.Reporting;

/// <summary>
/// The issue's targets: gateway peak at least 0.5x the constant endpoint's and at least 1.0x the Redis limiter's, and
/// gateway p99 at most 2 ms at half of its peak. The in-process ASP.NET Core limiter is shown for context only, and so
/// is each other server's p99 at the gateway's half-peak rate.
/// <para>
/// With several rounds each check takes the median over the rounds: a ratio pairs the gateway with the baseline of the
/// same round (measured minutes apart, so they share the machine's drift), and the p99 is each round's run at half of
/// that round's peak. A single search on shared cores swings by a step of the search either way; the median of three
/// does not follow one such swing. A ratio check says when its rounds fall on both sides of the target: the verdict
/// then rests on the median alone. Each peak is known only to within a step of its search (between the last rate
/// sustained and the first not), so a ratio check also shows the range that leaves the ratio, and is UNDECIDED when the
/// target lies within it: a tie that the tail of one step would otherwise tip either way.
/// </para>
/// </summary>
internal static class TargetChecks
{
    public const double MinRatioToConstant = 0.5;
    public const double MinRatioToRedis = 1.0;
    public const double MaxP99AtHalfPeakMilliseconds = 2.0;

    private static readonly (string Name, string Label)[] s_sameRateLabels =
    [
        (TargetCatalog.Constant, "(a) constant"),
        (TargetCatalog.AspNet, "(b) ASP.NET Core limiter"),
        (TargetCatalog.Redis, "(c) Redis limiter"),
        (TargetCatalog.Cluster, "cluster"),
    ];

    public static IReadOnlyList<TargetCheck> Evaluate(IReadOnlyList<TargetResult> results)
    {
        var gateway = Rounds(results, TargetCatalog.Gateway);
        List<TargetCheck> checks =
        [
            Ratio(gateway, Rounds(results, TargetCatalog.Constant), "gateway peak / (a) constant peak", MinRatioToConstant),
            Ratio(gateway, Rounds(results, TargetCatalog.Redis), "gateway peak / (c) Redis limiter peak", MinRatioToRedis),
            P99(gateway, r => r.HalfPeak, "gateway p99 at half of its peak", MaxP99AtHalfPeakMilliseconds),
            Ratio(gateway, Rounds(results, TargetCatalog.AspNet), "gateway peak / (b) ASP.NET Core limiter peak", null),
        ];

        // The same load on the other servers: how much of the gateway's tail the machine itself shows at that rate.
        foreach (var (name, label) in s_sameRateLabels)
        {
            var rounds = Rounds(results, name);
            if (rounds.Any(r => r.AtGatewayHalfPeak is not null))
            {
                checks.Add(P99(rounds, r => r.AtGatewayHalfPeak, $"{label} p99 at the gateway's half-peak rate", null));
            }
        }

        // Only when measured: what the gateway-to-silo hop of a cluster costs against the embedded host.
        var cluster = Rounds(results, TargetCatalog.Cluster);
        if (cluster.Count > 0)
        {
            checks.Add(Ratio(cluster, gateway, "cluster peak / embedded gateway peak", null));
        }

        return checks;
    }

    /// <summary>The middle value, or the mean of the two middle values of an even count.</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("The median of no values is undefined.", nameof(values));
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static List<TargetResult> Rounds(IReadOnlyList<TargetResult> results, string name) =>
        results.Where(r => r.Name == name).OrderBy(r => r.Round).ToList();

    private static TargetCheck Ratio(List<TargetResult> gateway, List<TargetResult> baseline, string name, double? minimum)
    {
        var target = minimum is { } min ? string.Create(CultureInfo.InvariantCulture, $">= {min:0.0}x") : "context";
        if (gateway.Count == 0 || baseline.Count == 0)
        {
            return new TargetCheck(name, "not run", target, "n/a");
        }

        // A round where the gateway sustained no step counts as 0x; one where the baseline did not is left out.
        var ratios = new List<double>();
        var rounds = new List<string>();
        var bounds = new List<(double Low, double High)>();
        var generatorLimited = false;
        foreach (var g in gateway)
        {
            if (baseline.FirstOrDefault(b => b.Round == g.Round) is not { PeakPerSecond: { } baselinePeak } b)
            {
                continue;
            }

            var gatewayPeak = g.PeakPerSecond ?? 0;
            ratios.Add(gatewayPeak / baselinePeak);
            rounds.Add(string.Create(CultureInfo.InvariantCulture, $"{ratios[^1]:0.00}x ({gatewayPeak:N0} / {baselinePeak:N0} per s)"));

            // Each peak lies between its last sustained rate and the first it did not sustain, so the ratio lies between
            // these two bounds: a search step apart, the two searches tell no closer.
            if (g.FirstMiss is { } gatewayMiss && b.FirstMiss is { } baselineMiss)
            {
                bounds.Add((gatewayPeak / baselineMiss.OfferedPerSecond, gatewayMiss.OfferedPerSecond / baselinePeak));
            }

            generatorLimited |= g.FirstMiss?.GeneratorMayLimit == true || b.FirstMiss?.GeneratorMayLimit == true;
        }

        if (ratios.Count == 0)
        {
            return new TargetCheck(name, "no sustained step", target, minimum is null ? "context" : "MISS");
        }

        // The median of the ratios' logarithms: with an even count of rounds the geometric mean of the middle two, so
        // that two rounds where gateway and baseline only swap places (r and 1/r) give 1.0x, not (r + 1/r) / 2 above it.
        var median = Math.Exp(Median(ratios.Select(r => Math.Log(r)).ToList()));
        var split = minimum is { } least && ratios.Any(r => r >= least) && ratios.Any(r => r < least)
            ? "; the rounds fall on both sides of the target"
            : "";
        var measured = ratios.Count == 1
            ? rounds[0]
            : string.Create(CultureInfo.InvariantCulture, $"median {median:0.00}x; rounds: {string.Join(", ", rounds)}{split}");

        // The bounds' medians, taken as the ratio's: when the target lies between them, the searches cannot tell.
        var undecided = false;
        if (bounds.Count == ratios.Count)
        {
            var low = Math.Exp(Median(bounds.Select(x => Math.Log(x.Low)).ToList()));
            var high = Math.Exp(Median(bounds.Select(x => Math.Log(x.High)).ToList()));
            measured += string.Create(CultureInfo.InvariantCulture, $"; within the searches' steps {low:0.00}x to {high:0.00}x");
            // The ratio lies below high (a first miss is above its peak): a high of exactly the target is a miss.
            undecided = minimum is { } bound && low < bound && high > bound;
        }

        if (generatorLimited)
        {
            measured += "; a search stopped where the generator was busy, so that peak may be the generator's";
        }

        var outcome = minimum is null ? "context" : undecided ? "UNDECIDED" : median >= minimum ? "PASS" : "MISS";
        return new TargetCheck(name, measured, target, outcome);
    }

    /// <summary>The median over the rounds of one step's p99; a check when <paramref name="maximum"/> is given.</summary>
    private static TargetCheck P99(List<TargetResult> target, Func<TargetResult, StepResult?> step, string name, double? maximum)
    {
        var limit = maximum is { } max ? string.Create(CultureInfo.InvariantCulture, $"<= {max:0.0} ms") : "context";
        if (target.Count == 0)
        {
            return new TargetCheck(name, "not run", limit, "n/a");
        }

        // A round without the step, or whose step had errors, counts as a miss (an infinite p99).
        var p99s = new List<double>();
        var rounds = new List<string>();
        foreach (var round in target)
        {
            if (step(round) is not { } measured)
            {
                p99s.Add(double.PositiveInfinity);
                rounds.Add("no sustained step");
                continue;
            }

            p99s.Add(measured.Errors > 0 ? double.PositiveInfinity : measured.P99Milliseconds);
            rounds.Add(string.Create(CultureInfo.InvariantCulture, $"{measured.P99Milliseconds:0.00} ms at {measured.OfferedPerSecond:N0}/s{(measured.Errors > 0 ? $", {measured.Errors} errors" : "")}"));
        }

        var median = Median(p99s);
        var shown = p99s.Count == 1
            ? rounds[0]
            : string.Create(CultureInfo.InvariantCulture, $"median {(double.IsFinite(median) ? $"{median:0.00} ms" : "none")}; rounds: {string.Join(", ", rounds)}");
        return new TargetCheck(name, shown, limit, maximum is null ? "context" : median <= maximum ? "PASS" : "MISS");
    }
}
