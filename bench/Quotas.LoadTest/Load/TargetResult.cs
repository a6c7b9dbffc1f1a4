namespace Quotas.LoadTest.Load;

/// <summary>
/// Everything measured on one target. <see cref="Peak"/> is the sustained step with the highest achieved rate (null
/// when no step was sustained); <see cref="HalfPeak"/> is the longer run at half of that rate. <see cref="Round"/>
/// counts from 1.
/// </summary>
internal sealed record TargetResult(string Name, string Description, IReadOnlyList<MeasuredStep> Steps, StepResult? Peak, StepResult? HalfPeak)
{
    public int Round { get; init; } = 1;

    public double? PeakPerSecond => Peak?.AchievedPerSecond;
}
