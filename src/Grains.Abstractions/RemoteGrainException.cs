namespace Grains;

/// <summary>A grain on another silo failed with an exception whose type this process cannot rebuild.</summary>
public sealed class RemoteGrainException : Exception
{
    public RemoteGrainException(string originalType, string message, string? remoteStackTrace)
        : base(message)
    {
        OriginalType = originalType;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The assembly-qualified name of the exception thrown in the grain.</summary>
    public string OriginalType { get; }

    public string? RemoteStackTrace { get; }
}
