namespace Quotas.Core.Tenants;

/// <summary>Bad input to the quota model: the call changed no state. <see cref="Code"/> is stable; the message says what to fix.</summary>
public sealed class QuotaValidationException : Exception
{
    public QuotaValidationException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    public QuotaValidationException()
        : this(ValidationCodes.Invalid, "The quota request is invalid.")
    {
    }

    public QuotaValidationException(string message)
        : this(ValidationCodes.Invalid, message)
    {
    }

    public QuotaValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ValidationCodes.Invalid;
    }

    /// <summary>Stable machine-readable code, e.g. <c>invalid_amount</c>; one of <see cref="ValidationCodes"/>.</summary>
    public string Code { get; }
}
