namespace Quotas.LoadTest.Load;

/// <summary>
/// Everything measured on one target. <see cref="Peak"/> is the sustained step with the highest achieved rate (null
/// when no step was sustained); <see cref="HalfPeak"/> is the longer run at half of that rate. <see cref="Round"/>
/// counts from 1. <see cref="AtGatewayHalfPeak"/>: a baseline's run at the rate of the gateway's half peak of the same
/// round, when the gateway was measured before it. <see cref="FirstMiss"/> is the least offered rate the target did not
/// sustain (null when the search found none): the peak lies between the two, and is known no closer than that.
/// </summary>
internal sealed record TargetResult(string Name, string Description, IReadOnlyList<MeasuredStep> Steps, StepResult? Peak, StepResult? HalfPeak)
{
    public int Round { get; init; } = 1;

    public StepResult? AtGatewayHalfPeak { get; init; }

    public StepResult? FirstMiss { get; init; }

    public double? PeakPerSecond => Peak?.AchievedPerSecond;
}
