namespace Quotas.Core.Scheduling;

/// <summary>A request the scheduler refused; <see cref="Code"/> is stable, the message says what to do.</summary>
public sealed class SchedulingException : Exception
{
    public SchedulingException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    public SchedulingException()
        : this(SchedulingErrorCodes.InvalidArgument, "The scheduling request is invalid.")
    {
    }

    public SchedulingException(string message)
        : this(SchedulingErrorCodes.InvalidArgument, message)
    {
    }

    public SchedulingException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = SchedulingErrorCodes.InvalidArgument;
    }

    /// <summary>Stable machine-readable reason, one of <see cref="SchedulingErrorCodes"/>.</summary>
    public string Code { get; }
}
