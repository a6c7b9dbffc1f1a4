namespace Grains.Storage;

/// <summary>
/// Stored state could not be turned back into its .NET type: the row needs an operator's repair, and retrying cannot help.
/// (State that cannot be written as JSON is a plain <see cref="GrainStorageException"/>: the row is not at fault.)
/// </summary>
public sealed class GrainStateSerializationException(string message, Exception? innerException)
    : GrainStorageException(message, innerException, isTransient: false)
{
    /// <summary>The form a caller on another silo rebuilds it in (from the message), so it keeps its type there.</summary>
    public GrainStateSerializationException(string message)
        : this(message, null)
    {
    }
}
