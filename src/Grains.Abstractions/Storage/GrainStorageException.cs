namespace Grains.Storage;

/// <summary>A grain storage operation failed. <see cref="IsTransient"/> says whether retrying may help.</summary>
public class GrainStorageException : Exception
{
    public GrainStorageException(string message)
        : base(message)
    {
    }

    public GrainStorageException(string message, Exception? innerException, bool isTransient = false)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    public bool IsTransient { get; }
}
