namespace Grains;

/// <summary>
/// The connection to the silo running the call was lost before its answer arrived: the call may or may not have run.
/// Transient. The runtime retries such calls itself only for [Idempotent] methods.
/// </summary>
public sealed class GrainConnectionLostException : SiloUnavailableException
{
    /// <summary>The form a caller on another silo rebuilds it in (from the message), so it keeps its type there.</summary>
    public GrainConnectionLostException(string message)
        : base(message)
    {
    }

    public GrainConnectionLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
