namespace Grains.CodeGeneration;

/// <summary>
/// One call to a grain method with its arguments. The source generator emits a sealed subclass per method, so
/// arguments live in typed fields and the call path needs no reflection and no boxing.
/// </summary>
public abstract class GrainCall
{
    public abstract GrainMethodDescriptor Method { get; }

    /// <summary>
    /// Runs the call against the grain instance and keeps the outcome for <see cref="Complete"/>. Returns the exception
    /// the grain threw, if any, so that the runtime can react to it (for example deactivate after a storage conflict).
    /// </summary>
    public abstract ValueTask<Exception?> ExecuteAsync(object grain);

    /// <summary>
    /// Delivers the kept outcome to the caller. The runtime calls it after it has recorded the end of the turn, so a
    /// caller that sees the result never races the activation's own bookkeeping.
    /// </summary>
    public abstract void Complete();

    /// <summary>Fails the call without running it (timeout, activation failure, shutdown).</summary>
    public abstract void Fail(Exception exception);

    public override string ToString() => Method.DisplayName;
}
