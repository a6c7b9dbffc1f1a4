namespace Grains.Storage;

/// <summary>
/// A write or clear was refused because the stored record changed since this activation read it (its ETag is stale).
/// The runtime deactivates the activation; the next call reads the current state.
/// </summary>
public sealed class InconsistentStateException : GrainStorageException
{
    public InconsistentStateException(string message, string? expectedEtag)
        : base(message)
    {
        ExpectedEtag = expectedEtag;
    }

    /// <summary>The ETag the writer held, which no longer matches the store.</summary>
    public string? ExpectedEtag { get; }
}
