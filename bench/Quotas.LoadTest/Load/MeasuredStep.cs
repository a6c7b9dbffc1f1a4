namespace Quotas.LoadTest.Load;

/// <summary>A step with the part of the search it belongs to: climb, descend, refine or half peak.</summary>
internal sealed record MeasuredStep(string Phase, StepResult Result);
