namespace Grains;

/// <summary>
/// A grain's activation refused a call without running it: it already had as many calls waiting as the silo lets one
/// activation queue (<c>Grains:MaxQueuedCallsPerActivation</c>). Only calls from outside any grain (a client, a web
/// request) are refused, and only by grains that are not reentrant. The refused call did not run; a call that fails
/// with this because a call it made in turn was refused may have done part of its work first.
/// </summary>
public sealed class GrainOverloadedException : Exception
{
    public GrainOverloadedException(string message)
        : base(message)
    {
    }
}
