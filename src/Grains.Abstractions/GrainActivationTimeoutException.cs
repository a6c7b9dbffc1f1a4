namespace Grains;

/// <summary>
/// A grain did not finish activating (its state read and <c>OnActivateAsync</c>) within the silo's
/// <c>Grains:ActivationTimeout</c>. The calls waiting for it did not run; the activation was dropped, and the next call
/// activates the grain afresh.
/// </summary>
public sealed class GrainActivationTimeoutException : TimeoutException
{
    public GrainActivationTimeoutException(string message)
        : base(message)
    {
    }

    public GrainActivationTimeoutException(GrainId grain, TimeSpan timeout)
        : base($"Grain {grain} did not finish activating within {timeout} (its state read or OnActivateAsync did not end); " +
               "the call did not run. The next call activates the grain afresh; raise Grains:ActivationTimeout if activation is expected to take longer.")
    {
    }
}
