using System.Globalization;
using Quotas.LoadTest.Load;
using Quotas.LoadTest.Targets;

namespace Quotas.LoadTest.Reporting;

/// <summary>
/// The targets: gateway peak at least 0.5x the constant endpoint's and at least 1.0x the Redis limiter's, and
/// gateway p99 at most 2 ms at half of its peak. The in-process ASP.NET Core limiter is shown for context only.
/// </summary>
internal static class TargetChecks
{
    public const double MinRatioToConstant = 0.5;
    public const double MinRatioToRedis = 1.0;
    public const double MaxP99AtHalfPeakMilliseconds = 2.0;

    public static IReadOnlyList<TargetCheck> Evaluate(IReadOnlyList<TargetResult> results)
    {
        var gateway = results.FirstOrDefault(r => r.Name == TargetCatalog.Gateway);
        return
        [
            Ratio(gateway, Find(results, TargetCatalog.Constant), "gateway peak / (a) constant peak", MinRatioToConstant),
            Ratio(gateway, Find(results, TargetCatalog.Redis), "gateway peak / (c) Redis limiter peak", MinRatioToRedis),
            HalfPeakP99(gateway),
            Ratio(gateway, Find(results, TargetCatalog.AspNet), "gateway peak / (b) ASP.NET Core limiter peak", null),
        ];
    }

    private static TargetResult? Find(IReadOnlyList<TargetResult> results, string name) => results.FirstOrDefault(r => r.Name == name);

    private static TargetCheck Ratio(TargetResult? gateway, TargetResult? baseline, string name, double? minimum)
    {
        var target = minimum is { } min ? string.Create(CultureInfo.InvariantCulture, $">= {min:0.0}x") : "context";
        if (gateway is null || baseline is null)
        {
            return new TargetCheck(name, "not run", target, "n/a");
        }

        if (gateway.PeakPerSecond is not { } gatewayPeak || baseline.PeakPerSecond is not { } baselinePeak)
        {
            return new TargetCheck(name, "no sustained step", target, minimum is null ? "context" : "MISS");
        }

        var ratio = gatewayPeak / baselinePeak;
        var measured = string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00}x ({gatewayPeak:N0} / {baselinePeak:N0} per s)");
        return new TargetCheck(name, measured, target, minimum is null ? "context" : ratio >= minimum ? "PASS" : "MISS");
    }

    private static TargetCheck HalfPeakP99(TargetResult? gateway)
    {
        const string Name = "gateway p99 at half of its peak";
        var target = string.Create(CultureInfo.InvariantCulture, $"<= {MaxP99AtHalfPeakMilliseconds:0.0} ms");
        if (gateway is null)
        {
            return new TargetCheck(Name, "not run", target, "n/a");
        }

        if (gateway.HalfPeak is not { } half)
        {
            return new TargetCheck(Name, "no sustained step", target, "MISS");
        }

        var measured = string.Create(CultureInfo.InvariantCulture, $"{half.P99Milliseconds:0.00} ms at {half.OfferedPerSecond:N0}/s");
        var met = half.P99Milliseconds <= MaxP99AtHalfPeakMilliseconds && half.Errors == 0;
        return new TargetCheck(Name, measured + (half.Errors > 0 ? $", {half.Errors} errors" : ""), target, met ? "PASS" : "MISS");
    }
}
