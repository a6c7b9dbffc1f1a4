namespace Grains.Storage;

/// <summary>Stored state could not be turned back into its .NET type (or the state could not be serialized).</summary>
public sealed class GrainStateSerializationException(string message, Exception? innerException)
    : GrainStorageException(message, innerException, isTransient: false);
