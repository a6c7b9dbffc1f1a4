namespace Quotas.LoadTest.Targets;

/// <summary>A target could not be started or prepared; the message says what failed and what the process printed.</summary>
internal sealed class StartupException(string message) : Exception(message);
