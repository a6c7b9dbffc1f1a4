namespace Grains.Storage;

/// <summary>Stored state could not be turned back into its .NET type (or the state could not be serialized).</summary>
public sealed class GrainStateSerializationException(string message, Exception? innerException)
    : GrainStorageException(message, innerException, isTransient: false)
{
    /// <summary>The form a caller on another silo rebuilds it in (from the message), so it keeps its type there.</summary>
    public GrainStateSerializationException(string message)
        : this(message, null)
    {
    }
}
