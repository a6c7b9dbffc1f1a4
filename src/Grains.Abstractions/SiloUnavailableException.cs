namespace Grains;

/// <summary>The silo cannot take the call now (it is stopping or stopped). Transient: retry against a running silo.</summary>
public class SiloUnavailableException : Exception
{
    public SiloUnavailableException(string message)
        : base(message)
    {
    }

    public SiloUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
