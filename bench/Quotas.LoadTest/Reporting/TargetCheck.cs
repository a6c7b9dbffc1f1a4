namespace Quotas.LoadTest.Reporting;

/// <summary>One of the targets as measured: PASS, MISS, n/a (a figure is missing) or context (no target).</summary>
internal sealed record TargetCheck(string Name, string Measured, string Target, string Outcome);
