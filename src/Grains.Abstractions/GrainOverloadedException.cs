namespace Grains;

/// <summary>
/// The grain's activation refused the call without running it: it already had as many calls waiting as the silo lets
/// one activation queue (<c>Grains:MaxQueuedCallsPerActivation</c>). Nothing ran, so the call may be retried after a
/// moment, whatever its method.
/// </summary>
public sealed class GrainOverloadedException : Exception
{
    public GrainOverloadedException(string message)
        : base(message)
    {
    }
}
