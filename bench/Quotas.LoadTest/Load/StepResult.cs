using System.Globalization;

namespace Quotas.LoadTest.Load;

/// <summary>
/// What one step measured. <see cref="Ok"/> and <see cref="Refused"/> (429) are both answers of the quota check, so
/// both count in the achieved rate and the latency; anything else (other statuses, failures, drops) is an error.
/// </summary>
internal sealed record StepResult(
    double OfferedPerSecond,
    double AchievedPerSecond,
    long Ok,
    long Refused,
    long Errors,
    double P50Milliseconds,
    double P95Milliseconds,
    double P99Milliseconds,
    double SendLagP99Milliseconds,
    string? FirstError)
{
    /// <summary>A p99 above this means requests queue: the step is past what the target sustains.</summary>
    public const double SaturatedP99Milliseconds = 100;

    /// <summary>Below this share of the offered rate the target is not keeping up.</summary>
    public const double SustainedShare = 0.95;

    /// <summary>
    /// A median latency this much higher in the last quarter of the measured requests than in the first means a queue
    /// that grew all through the step: the target fell behind, though slowly enough to answer 95 % within the step and
    /// to keep its p99 under the bound. A median moves only when most of a quarter's requests (seconds of them) waited
    /// longer, so a stall of the machine does not trip it.
    /// </summary>
    public const double GrowthMilliseconds = 10;

    /// <summary>Median latency of the first quarter of the measured requests (by due time); 0 when not measured.</summary>
    public double FirstQuarterP50Milliseconds { get; init; }

    /// <summary>Median latency of the last quarter of the measured requests (by due time); 0 when not measured.</summary>
    public double LastQuarterP50Milliseconds { get; init; }

    /// <summary>Responses of any status to every request of the step, warm-up included: what the CPU figures divide.</summary>
    public long Responses { get; init; }

    /// <summary>CPU the target's processes used per response over the whole step, warm-up included; null if unknown.</summary>
    public double? ServerCpuMicroseconds { get; init; }

    /// <summary>CPU the generator used per response over the same time: what it leaves the target on shared cores.</summary>
    public double? GeneratorCpuMicroseconds { get; init; }

    /// <summary>
    /// The share of its CPUs the generator kept busy over the step (its CPU time over the step's time on the CPUs it
    /// may run on); null if unknown. Near 1 the generator, not the target, may be what stopped the step.
    /// </summary>
    public double? GeneratorBusy { get; init; }

    /// <summary>At or above this share of its CPUs the generator may itself be the limit of a step it did not sustain.</summary>
    public const double BusyGenerator = 0.8;

    /// <summary>True for a step not sustained while the generator was this busy: the step may measure the generator.</summary>
    public bool GeneratorMayLimit => !Sustained && GeneratorBusy >= BusyGenerator;

    /// <summary>Bytes the server process allocated per response over the whole step, warm-up included; null if unknown.</summary>
    public double? ServerBytesPerResponse { get; init; }

    /// <summary>Collections of any generation per second of the step in the server process; null if unknown.</summary>
    public double? ServerCollectionsPerSecond { get; init; }

    /// <summary>Milliseconds per second of the step the server's threads were paused by its collector; null if unknown.</summary>
    public double? ServerPauseMillisecondsPerSecond { get; init; }

    public bool Sustained => TargetVerdict == "sustained";

    /// <summary>What the step says of the target, and whether the generator may have been its limit instead.</summary>
    public string Verdict => GeneratorMayLimit
        ? string.Create(CultureInfo.InvariantCulture, $"{TargetVerdict} (generator {GeneratorBusy:0%} busy: may be its limit)")
        : TargetVerdict;

    private string TargetVerdict =>
        Errors > 0 ? $"errors: {FirstError}"
        : AchievedPerSecond < SustainedShare * OfferedPerSecond ? "saturated: achieved < 95% of offered"
        : P99Milliseconds > SaturatedP99Milliseconds ? "saturated: p99 > 100 ms"
        : LastQuarterP50Milliseconds - FirstQuarterP50Milliseconds > GrowthMilliseconds
            ? string.Create(CultureInfo.InvariantCulture, $"saturated: latency grew through the step (median {FirstQuarterP50Milliseconds:0.0} ms in its first quarter, {LastQuarterP50Milliseconds:0.0} ms in its last)")
        : "sustained";
}
