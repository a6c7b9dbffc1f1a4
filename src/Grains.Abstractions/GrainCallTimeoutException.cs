namespace Grains;

/// <summary>A grain call did not complete within its response timeout. The grain may still finish the work.</summary>
public sealed class GrainCallTimeoutException : TimeoutException
{
    public GrainCallTimeoutException(string message)
        : base(message)
    {
    }

    public GrainCallTimeoutException(GrainId target, string method, TimeSpan timeout)
        : base($"The call {method} to grain {target} did not complete within {timeout}. " +
               "Raise the silo's response timeout (GrainsOptions.ResponseTimeout) or the method's [ResponseTimeout] if the work is expected to take longer.")
    {
        Target = target;
        Method = method;
        Timeout = timeout;
    }

    public GrainId Target { get; }

    public string Method { get; } = "";

    public TimeSpan Timeout { get; }
}
