using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Quotas.LoadTest.Load;
using Quotas.LoadTest.Options;

namespace Quotas.LoadTest.Reporting;

/// <summary>The run as markdown: the figures the issue asks for, the checks against its targets, every step measured.</summary>
internal static class MarkdownReport
{
    public static string Render(RunInfo run, IReadOnlyList<TargetResult> results)
    {
        var o = run.Options;
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

        Line($"## Load test, {run.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC{(o.Quick ? " (quick)" : "")}");
        Line($"");
        Line($"`bash bench/Quotas.LoadTest/run.sh{string.Concat(run.Arguments.Select(a => " " + ShellWord(a)))}` on {CpuList.Online()?.Cpus.Count ?? Environment.ProcessorCount} cores{Model(run.Machine)}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, commit {run.Machine?.Commit ?? "unknown"}; {Placement(o)}");
        Line($"Open model: requests due at a fixed rate, latency from the due time. {o.Tenants} tenants drawn from Zipf({o.ZipfExponent:0.0}) with seed {o.Seed}; every limiter allows {o.Limit:N0} per tenant per {o.WindowSeconds} s. Steps: {o.Warmup.TotalSeconds:0.#} s warm-up, {o.StepDuration.TotalSeconds:0.#} s measured; the half-peak run measures {o.HalfPeakDuration.TotalSeconds:0.#} s. {Rounds(o.Rounds)}");
        Line($"");
        Line($"| target | round | peak/s (sustained) | half peak: offered/s | p50 ms | p95 ms | p99 ms | ok | 429 | errors |");
        Line($"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        // Grouped by target in the run's order, rounds in order within a target.
        var ordered = results.OrderBy(r => o.Targets.ToList().IndexOf(r.Name)).ThenBy(r => r.Round).ToList();
        foreach (var r in ordered)
        {
            var h = r.HalfPeak;
            Line($"| {r.Name} | {r.Round} | {(r.PeakPerSecond is { } p ? p.ToString("N0", CultureInfo.InvariantCulture) : "none")} | {h?.OfferedPerSecond:N0} | {h?.P50Milliseconds:0.00} | {h?.P95Milliseconds:0.00} | {h?.P99Milliseconds:0.00} | {h?.Ok:N0} | {h?.Refused:N0} | {h?.Errors:N0} |");
        }

        Line($"");
        Line($"| check | measured | target | result |");
        Line($"| --- | --- | --- | --- |");
        foreach (var check in TargetChecks.Evaluate(results))
        {
            Line($"| {check.Name} | {check.Measured} | {check.Target} | **{check.Outcome}** |");
        }

        foreach (var r in ordered)
        {
            Line($"");
            Line($"### {r.Name}{(run.Options.Rounds > 1 ? $", round {r.Round}" : "")}: {r.Description}");
            Line($"");
            Line($"| step | offered/s | achieved/s | ok | 429 | errors | p50 ms | p95 ms | p99 ms | send lag p99 ms | server CPU µs/req | generator CPU µs/req | generator busy | server bytes/req | server GCs/s | server GC pause ms/s | verdict |");
            Line($"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
            foreach (var (phase, s) in r.Steps)
            {
                Line($"| {phase} | {s.OfferedPerSecond:N0} | {s.AchievedPerSecond:N0} | {s.Ok:N0} | {s.Refused:N0} | {s.Errors:N0} | {s.P50Milliseconds:0.00} | {s.P95Milliseconds:0.00} | {s.P99Milliseconds:0.00} | {s.SendLagP99Milliseconds:0.00} | {s.ServerCpuMicroseconds:0.0} | {s.GeneratorCpuMicroseconds:0.0} | {s.GeneratorBusy:0%} | {s.ServerBytesPerResponse:N0} | {s.ServerCollectionsPerSecond:0.0} | {s.ServerPauseMillisecondsPerSecond:0.0} | {Escape(s.Verdict)} |");
            }
        }

        return text.ToString();
    }

    /// <summary>Where the servers and the generator ran: on CPUs of their own, or sharing them all.</summary>
    private static string Placement(LoadTestOptions o) => o.ServerCpus is { } servers
        ? $"the servers under test (redis-server too) run on {Cpus(servers)} and the generator on {(o.GeneratorCpus is { } g ? Cpus(g) : "the others")}, each held there with taskset, so that neither takes CPU time from the other."
        : "the generator and the servers share these cores.";

    private static string Model(MachineAndCommit? machine) => machine?.CpuModel is { } model ? $" ({model})" : "";

    private static string Cpus(CpuList cpus) => $"{(cpus.Cpus.Count == 1 ? "CPU" : "CPUs")} {cpus}";

    /// <summary>
    /// An argument as it would be typed: quoted when the shell would split or interpret it (a connection string's
    /// semicolons), with a password replaced, so that the recorded command can be pasted without leaking one.
    /// </summary>
    private static string ShellWord(string argument)
    {
        var shown = Regex.Replace(argument, "(?i)(password|pwd)=[^;]*", "$1=***");
        return shown.Length > 0 && shown.All(c => char.IsAsciiLetterOrDigit(c) || "-_./,:=".Contains(c)) ? shown : $"'{shown.Replace("'", "'\\''")}'";
    }

    private static string Rounds(int rounds) => rounds == 1
        ? "One round: every check compares one search per target."
        : $"{rounds} rounds, alternating (every target, then every target again); every check takes the median over the rounds.";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
